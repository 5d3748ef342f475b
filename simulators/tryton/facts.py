"""What the seeded Tryton holds, relative to its business date D (`--as-of`): shared by the
seeding program, the demo and the tests.

With the dunning runs at D-45, D-30, D-15 and D, each line reaches (levels 1-3 at 14, 30, 45
days overdue; past the last level a dunning is final):

    code  customer              invoice due   amount    dunning at D
    2     Beta Bau GmbH         D-90          1200.00   level 3, final
    3     Alpha Handel AG       D-120 / D-100  100.00 / 595.00   level 3, final (both)
    4     Gamma Logistik KG     D-50            80.00   level 3, waiting
    5     Delta Möbel GmbH      D-75           430.00   level 3, final
    6     Epsilon Software      D-40           250.00   level 2
    7     Zeta Druck            D-10           150.00   none (not 14 days overdue)
    8     Eta Café              D-80            45.00   level 3 (below a 50.00 minimum)
    9     Theta Textil          D-90           300.00   level 3, blocked in Tryton

(party code 1 is the company itself).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AGENCY_PAYMENT_METHOD",
    "BANK_PAYMENT_METHOD",
    "CUSTOMERS",
    "DUNNING_RUNS",
    "LEVELS",
    "Customer",
]

AGENCY_PAYMENT_METHOD = "Collection agency"
BANK_PAYMENT_METHOD = "Bank transfer"
LEVELS = ((1, 14), (2, 30), (3, 45))  # (sequence, days overdue)
DUNNING_RUNS = (45, 30, 15, 0)  # days before D


@dataclass(frozen=True, slots=True)
class Customer:
    key: str
    name: str
    address: tuple[str, str, str]
    email: str
    invoices: tuple[tuple[int, str], ...]  # (days overdue at D, amount)
    blocked_in_tryton: bool = False


CUSTOMERS: tuple[Customer, ...] = (
    Customer(
        "beta",
        "Beta Bau GmbH",
        ("Baustraße 3", "10115", "Berlin"),
        "buchhaltung@beta-bau.example",
        ((90, "1200.00"),),
    ),
    Customer(
        "alpha",
        "Alpha Handel AG",
        ("Marktplatz 1", "20095", "Hamburg"),
        "ap@alpha-handel.example",
        ((120, "100.00"), (100, "595.00")),
    ),
    Customer(
        "gamma",
        "Gamma Logistik KG",
        ("Hafenweg 12", "28195", "Bremen"),
        "finanzen@gamma.example",
        ((50, "80.00"),),
    ),
    Customer(
        "delta",
        "Delta Möbel GmbH",
        ("Holzweg 7", "80331", "München"),
        "rechnung@delta-moebel.example",
        ((75, "430.00"),),
    ),
    Customer(
        "epsilon",
        "Epsilon Software",
        ("Codestraße 42", "50667", "Köln"),
        "billing@epsilon.example",
        ((40, "250.00"),),
    ),
    Customer(
        "zeta",
        "Zeta Druck",
        ("Papierweg 2", "04109", "Leipzig"),
        "info@zeta-druck.example",
        ((10, "150.00"),),
    ),
    Customer(
        "eta", "Eta Café", ("Bohnenweg 5", "01067", "Dresden"), "eta@cafe.example", ((80, "45.00"),)
    ),
    Customer(
        "theta",
        "Theta Textil",
        ("Webergasse 9", "70173", "Stuttgart"),
        "kontakt@theta.example",
        ((90, "300.00"),),
        blocked_in_tryton=True,
    ),
)
