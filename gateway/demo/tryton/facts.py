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

    10    Iota Instruments Ltd  D-90          2000.00 USD, 500.00 paid   level 3, final
    11    Kappa Kontor GmbH     D-125 / D-95   2 instalments of 500.00 (one invoice),
                                               300.00 paid: level 3, final (both lines)
    12    Lambda Leuchten GmbH  D-80           800.00, and a credit note of 150.00 (D-20)
                                               level 3, final
    13    My Mu Möbelhaus       D-70           640.00 GBP   level 3, final; its invoice goes
                                               to its second address (the invoice address)
    14    Nu Nachbarschaft eV   D-100          210.00, no dunning procedure: never dunned

(party code 1 is the company itself). Iota and My Mu are invoiced in foreign currencies (the
company's is EUR), Kappa on a payment term of two instalments (half after 14 days, the rest
after 44); Iota and Kappa paid part of their invoices by bank transfer before the dunning
runs.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AGENCY_PAYMENT_METHOD",
    "BANK_PAYMENT_METHOD",
    "CUSTOMERS",
    "DUNNING_RUNS",
    "LEVELS",
    "RATES",
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
    currency: str = "EUR"
    instalments: bool = False  # the payment term of two instalments (days overdue: the last)
    paid_before: str = ""  # paid by bank transfer on the first invoice before the dunnings
    credit_notes: tuple[tuple[int, str], ...] = ()  # (days before D, amount), left open
    invoice_address: tuple[str, str, str] | None = None  # a second address, invoiced to
    dunning_procedure: bool = True


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
    Customer(
        "iota",
        "Iota Instruments Ltd",
        ("1 Harbour Road", "10115", "Berlin"),
        "accounts@iota.example",
        ((90, "2000.00"),),
        currency="USD",
        paid_before="500.00",
    ),
    Customer(
        "kappa",
        "Kappa Kontor GmbH",
        ("Kontorweg 8", "22767", "Hamburg"),
        "kreditoren@kappa.example",
        ((95, "1000.00"),),
        instalments=True,
        paid_before="300.00",
    ),
    Customer(
        "lambda",
        "Lambda Leuchten GmbH",
        ("Lichtstraße 4", "60311", "Frankfurt am Main"),
        "ap@lambda.example",
        ((80, "800.00"),),
        credit_notes=((20, "150.00"),),
    ),
    Customer(
        "mu",
        "My Mu Möbelhaus",
        ("Lagerstraße 1", "90402", "Nürnberg"),
        "buchhaltung@mu.example",
        ((70, "640.00"),),
        currency="GBP",
        invoice_address=("Rechnungsweg 7", "90403", "Nürnberg"),
    ),
    Customer(
        "nu",
        "Nu Nachbarschaft eV",
        ("Vereinsplatz 2", "01067", "Dresden"),
        "kasse@nu.example",
        ((100, "210.00"),),
        dunning_procedure=False,
    ),
)
# Exchange rates of the foreign currencies (units per EUR), from D-200 and from D-10: the
# agency's payments on foreign invoices then differ in EUR from the invoices, as they would.
RATES = {"USD": ("1.10", "1.05"), "GBP": ("0.85", "0.87")}
