"""The simulated FI-AR ledger: company codes, customers and their line items, made from a seed.

Nothing is stored per item: a customer's items are generated from (seed, company code,
customer) whenever they are asked for, so that a system of a million items costs no memory;
the changes made since (clearings, dunning blocks, notes, postings) live in `SimState` and are
laid over the generated items. Items come in the shape pyrfc returns BAPI3007_2 rows: CHAR
fields right-stripped, NUMC zero-padded strings, dates 'YYYYMMDD' ('' when initial), packed
numbers Decimal with the field's decimals, amounts positive with the sign in DB_CR_IND.

What a customer holds (open at the system's base date unless said otherwise):
- invoices (document type RV, posting key 01, debit S) with payment terms, dunning level and
  last dunning date by how overdue they are, a few with dunning block R (disputed);
- credit memos (DG, 11, credit H), half of them referring to an invoice (INV_REF);
- partial payments (DZ, 15, H) referring to an invoice: SAP's partial-payment method leaves the
  invoice open in full beside them;
- noted items (down-payment requests: special G/L indicator F, DOC_STATUS S), returned only
  when NOTEDITEMS = 'X';
- invoices paid in the last weeks (cleared, with the payment that cleared them: both carry
  CLEAR_DATE and CLR_DOC_NO; BAPI_AR_ACC_GETBALANCEDITEMS returns them).
Amounts are in several currencies per company code (EUR, USD, CHF, GBP, JPY: BAPI amounts are
in the currency's external format, so JPY 125000 is Decimal('125000.0000')).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = [
    "COMPANY_CODES",
    "CURRENCY_DIGITS",
    "PAYMENT_TERMS",
    "CompanyCode",
    "Customer",
    "Ledger",
    "customer_line",
    "dats",
]

FOUR = Decimal("0.0001")
ZERO = Decimal("0.0000")
SEQ_BASE = 1_000_000  # generated document numbers start here; lower ones are free for tests
SEQ_LIMIT = 100_000_000  # eight digits after a two-digit number range prefix


@dataclass(frozen=True, slots=True)
class CompanyCode:
    code: str
    name: str
    city: str
    country: str
    currency: str
    language: str  # SAP's one-letter language key
    language_iso: str
    customer_base: int
    currencies: tuple[tuple[str, int], ...]  # document currencies and their weights


COMPANY_CODES: dict[str, CompanyCode] = {
    c.code: c
    for c in (
        CompanyCode(
            "1000", "Claimbridge Demo GmbH", "Berlin", "DE", "EUR", "D", "DE", 100_000,
            (("EUR", 85), ("USD", 8), ("CHF", 7)),
        ),
        CompanyCode(
            "2000", "Claimbridge Démo SAS", "Lyon", "FR", "EUR", "F", "FR", 200_000,
            (("EUR", 90), ("GBP", 10)),
        ),
        CompanyCode(
            "3000", "Claimbridge Demo Inc.", "Chicago", "US", "USD", "E", "EN", 300_000,
            (("USD", 90), ("JPY", 10)),
        ),
    )
}  # fmt: skip

CURRENCY_DIGITS = {"EUR": 2, "USD": 2, "CHF": 2, "GBP": 2, "JPY": 0}
# Document currency → local currency, fixed: the simulator does not model exchange rates.
_RATES = {
    ("USD", "EUR"): Decimal("0.92"),
    ("CHF", "EUR"): Decimal("1.05"),
    ("GBP", "EUR"): Decimal("1.17"),
    ("JPY", "USD"): Decimal("0.0067"),
}

# Terms of payment (T052): discount days 1 and 2 with their percentages, net days.
PAYMENT_TERMS: dict[str, tuple[int, int, int, str, str]] = {
    "0001": (0, 0, 0, "0.000", "0.000"),  # due at once
    "ZB30": (0, 0, 30, "0.000", "0.000"),  # 30 days net
    "ZB01": (14, 30, 45, "3.000", "2.000"),  # 14 days 3%, 30 days 2%, 45 net
    "ZB02": (10, 20, 0, "2.000", "1.000"),  # no net days: due after the second discount days
    "ZB03": (14, 0, 0, "2.000", "0.000"),  # only first discount days: due after them
}
_TERMS_WEIGHTED = ["ZB30"] * 5 + ["ZB01"] * 2 + ["ZB02", "ZB03", "0001"]

_STREETS = {
    "DE": ["Hauptstraße", "Industriestraße", "Bahnhofstraße", "Lindenallee", "Am Hafen"],
    "FR": ["rue de la République", "avenue Jean Jaurès", "rue Mercière", "quai Saint-Antoine"],
    "US": ["Main Street", "Lake Shore Drive", "Oak Avenue", "Industrial Parkway"],
}
_CITIES = {
    "DE": [("10115", "Berlin"), ("70173", "Stuttgart"), ("80331", "München"), ("50667", "Köln")],
    "FR": [("69002", "Lyon"), ("75011", "Paris"), ("13001", "Marseille"), ("31000", "Toulouse")],
    "US": [("60601", "Chicago"), ("10001", "New York"), ("94105", "San Francisco")],
}
_COMPANY_WORDS = ["Müller", "Schmidt", "Lefèvre", "Durand", "Acme", "Nordwind", "Atlas", "Vega"]
_COMPANY_KINDS = {"DE": "GmbH", "FR": "SARL", "US": "LLC"}
_FIRST = ["Anna", "Lukas", "Camille", "Hugo", "Emma", "Noah", "Mia", "Louis"]
_LAST = ["Weber", "Fischer", "Martin", "Bernard", "Smith", "Johnson", "Wagner", "Petit"]


def dats(day: date) -> str:
    """A date as pyrfc returns DATS (dtime off)."""
    return f"{day.year:04}{day.month:02}{day.day:02}"


def _money(amount: Decimal, currency: str) -> Decimal:
    """An amount rounded to its currency's digits, in BAPI's four-decimal packed form."""
    digits = CURRENCY_DIGITS[currency]
    return amount.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP).quantize(FOUR)


def _local(amount: Decimal, currency: str, local: str) -> Decimal:
    if currency == local:
        return amount
    return _money(amount * _RATES[(currency, local)], local)


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer of one company code: KUNNR as SAP stores it (ALPHA: numeric ones zero-padded
    to ten digits, a few alphanumeric ones as they are) and its index in the company code."""

    company_code: str
    index: int
    number: str


_TEMPLATE: dict[str, Any] = {
    "COMP_CODE": "",
    "CUSTOMER": "",
    "SP_GL_IND": "",
    "CLEAR_DATE": "",
    "CLR_DOC_NO": "",
    "ALLOC_NMBR": "",
    "FISC_YEAR": "",
    "DOC_NO": "",
    "ITEM_NUM": "001",
    "PSTNG_DATE": "",
    "DOC_DATE": "",
    "ENTRY_DATE": "",
    "CURRENCY": "",
    "LOC_CURRCY": "",
    "REF_DOC_NO": "",
    "DOC_TYPE": "",
    "FIS_PERIOD": "",
    "POST_KEY": "",
    "DB_CR_IND": "",
    "BUS_AREA": "",
    "TAX_CODE": "",
    "LC_AMOUNT": ZERO,
    "AMT_DOCCUR": ZERO,
    "LC_TAX": ZERO,
    "TX_DOC_CUR": ZERO,
    "ITEM_TEXT": "",
    "BRANCH": "",
    "BLINE_DATE": "",
    "PMNTTRMS": "",
    "DSCT_DAYS1": Decimal(0),
    "DSCT_DAYS2": Decimal(0),
    "NETTERMS": Decimal(0),
    "DSCT_PCT1": Decimal("0.000"),
    "DSCT_PCT2": Decimal("0.000"),
    "DISC_BASE": ZERO,
    "DSC_AMT_LC": ZERO,
    "DSC_AMT_DC": ZERO,
    "PYMT_METH": "",
    "PMNT_BLOCK": "",
    "FIXEDTERMS": "",
    "INV_REF": "",
    "INV_YEAR": "0000",
    "INV_ITEM": "000",
    "DUNN_KEY": "",
    "DUNN_BLOCK": "",
    "LAST_DUNN": "",
    "DUNN_LEVEL": "0",
    "DUNN_AREA": "",
    "DOC_STATUS": "",
    "NXT_DOCTYP": "",
    "VAT_REG_NO": "",
    "REASON_CDE": "",
    "PMTMTHSUPL": "",
    "REF_KEY_1": "",
    "REF_KEY_2": "",
    "REF_KEY_3": "",
}


class Ledger:
    """The generated part of the simulated system (read only)."""

    def __init__(
        self,
        seed: int,
        base_date: date,
        customers_per_company_code: int,
        items_per_customer: float,
        fixed_items: bool,
        posting_blocks: bool = True,
    ) -> None:
        self.seed = seed
        # Whether a customer now and then is blocked for posting (F5/351 on a payment).
        self.posting_blocks = posting_blocks
        self.base_date = base_date
        self.customers = customers_per_company_code
        self.mean_items = items_per_customer
        self.fixed = fixed_items
        most = round(items_per_customer) if fixed_items else max(1, round(2 * items_per_customer))
        # Every generated document of a customer gets a number from its own block of `stride`.
        self.stride = 3 * most + 8
        if SEQ_BASE + customers_per_company_code * self.stride >= SEQ_LIMIT:
            raise ValueError(
                "the simulated system is too large for its document numbers: fewer customers "
                "or fewer items per customer"
            )

    # --- customers -----------------------------------------------------------------------

    def customer(self, company_code: str, index: int) -> Customer:
        cc = COMPANY_CODES[company_code]
        if index % 250 == 249:  # an external number range: alphanumeric, not zero-padded
            return Customer(company_code, index, f"K{company_code[0]}{index:07d}")
        return Customer(company_code, index, f"{cc.customer_base + index:010d}")

    def customers_of(self, company_code: str) -> Iterator[Customer]:
        for index in range(self.customers):
            yield self.customer(company_code, index)

    def find_customer(self, company_code: str, number: str) -> Customer | None:
        """The customer with this KUNNR (as SAP stores it) in this company code."""
        cc = COMPANY_CODES.get(company_code)
        if cc is None or not number:
            return None
        if number.isdigit() and len(number) == 10:
            index = int(number) - cc.customer_base
            if 0 <= index < self.customers and index % 250 != 249:
                return Customer(company_code, index, number)
            return None
        prefix = f"K{company_code[0]}"
        if number.startswith(prefix) and number[2:].isdigit() and len(number) == 9:
            index = int(number[2:])
            if 0 <= index < self.customers and index % 250 == 249:
                return Customer(company_code, index, number)
        return None

    def owner_of(self, company_code: str, document: str) -> Customer | None:
        """The customer whose generated document this is (decoded from its number)."""
        if len(document) != 10 or not document.isdigit():
            return None
        seq = int(document[2:]) - SEQ_BASE
        if seq < 0:
            return None
        index = seq // self.stride
        return self.customer(company_code, index) if index < self.customers else None

    def _rng(self, customer: Customer, what: str) -> random.Random:
        # Simulated data, not security: the same seed must give the same system.
        seed = f"{self.seed}/{customer.company_code}/{customer.number}/{what}"
        return random.Random(seed)

    def master_data(self, customer: Customer) -> dict[str, Any]:
        """The customer's master data: name, address, language, VAT number, authorization
        group (VIP: not readable by the simulator's RFC user) and posting block."""
        rng = self._rng(customer, "master")
        cc = COMPANY_CODES[customer.company_code]
        country = cc.country
        person = rng.random() < 0.15
        if person:
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        else:
            words = f"{rng.choice(_COMPANY_WORDS)} {rng.choice(_COMPANY_WORDS)}"
            name = f"{words} {_COMPANY_KINDS[country]}"
        postal, city = rng.choice(_CITIES[country])
        vat = ""
        if not person and country == "DE":
            vat = f"DE{rng.randrange(100_000_000, 999_999_999)}"
        elif not person and country == "FR":
            vat = f"FR{rng.randrange(10, 99)}{rng.randrange(100_000_000, 999_999_999)}"
        slug = name.lower().replace(" ", "-").replace("ü", "ue").replace("è", "e")
        return {
            "name": name,
            "person": person,
            "street": f"{rng.choice(_STREETS[country])} {rng.randrange(1, 180)}",
            "postal_code": postal,
            "city": city,
            "country": country,
            "language": cc.language,
            "language_iso": cc.language_iso,
            "telephone": f"+{rng.randrange(10, 99)} {rng.randrange(100, 999)} "
            f"{rng.randrange(10_000, 999_999)}",
            "email": f"ar@{slug}.example" if not person else f"{slug}@mail.example",
            "vat": vat,
            "auth_group": "VIP" if customer.index % 509 == 17 else "",
            "posting_block": "X" if self.posting_blocks and customer.index % 487 == 5 else "",
        }

    # --- items -----------------------------------------------------------------------------

    def items(self, customer: Customer) -> list[dict[str, Any]]:
        """Every generated line item of the customer, open or cleared, noted or not."""
        rng = self._rng(customer, "items")
        cc = COMPANY_CODES[customer.company_code]
        base = self.base_date
        count = (
            round(self.mean_items)
            if self.fixed
            else rng.randint(1, max(1, round(2 * self.mean_items) - 1))
        )
        currencies = [c for c, w in cc.currencies for _ in range(w)]
        seq0 = SEQ_BASE + customer.index * self.stride
        number = 0
        rows: list[dict[str, Any]] = []
        invoices: list[dict[str, Any]] = []

        def new_row(prefix: str, posted: date, currency: str, amount: Decimal) -> dict[str, Any]:
            nonlocal number
            doc = f"{prefix}{seq0 + number:08d}"
            number += 1
            row = dict(_TEMPLATE)
            row["COMP_CODE"] = cc.code
            row["CUSTOMER"] = customer.number
            row["FISC_YEAR"] = f"{posted.year:04}"
            row["DOC_NO"] = doc
            row["PSTNG_DATE"] = row["ENTRY_DATE"] = dats(posted)
            row["FIS_PERIOD"] = f"{posted.month:02}"
            row["CURRENCY"] = currency
            row["LOC_CURRCY"] = cc.currency
            row["AMT_DOCCUR"] = amount
            row["LC_AMOUNT"] = _local(amount, currency, cc.currency)
            return row

        def amount_in(currency: str, low: int, high: int) -> Decimal:
            if currency == "JPY":
                return _money(Decimal(rng.randrange(low, high) * 150), "JPY")
            return _money(Decimal(rng.randrange(low * 100, high * 100)) / 100, currency)

        for n in range(count):
            roll = rng.random()
            currency = rng.choice(currencies)
            posted = base - timedelta(days=rng.randint(1, 420))
            if roll < 0.05 and invoices:
                rows.append(self._partial_payment(rng, new_row, rng.choice(invoices)))
                continue
            if roll < 0.12:
                amount = amount_in(currency, 20, 2_000)
                row = new_row("17", posted, currency, amount)
                row.update(DOC_TYPE="DG", POST_KEY="11", DB_CR_IND="H", ITEM_TEXT="Credit memo")
                row["DOC_DATE"] = row["BLINE_DATE"] = dats(posted)
                row["REF_DOC_NO"] = f"GS-{posted.year}-{seq0 + n:07d}"[:16]
                if invoices and rng.random() < 0.5:
                    target = rng.choice(invoices)
                    row["INV_REF"] = target["DOC_NO"]
                    row["INV_YEAR"] = target["FISC_YEAR"]
                    row["INV_ITEM"] = target["ITEM_NUM"]
                    row["PMNTTRMS"] = "ZB30"
                    row["NETTERMS"] = Decimal(30)
                rows.append(row)
                continue
            row = self._invoice(rng, new_row, posted, currency, amount_in(currency, 80, 30_000))
            rows.append(row)
            invoices.append(row)

        for _ in range(count // 25 + (1 if rng.random() < 0.3 else 0)):  # noted items
            currency = cc.currency
            posted = base - timedelta(days=rng.randint(1, 60))
            row = new_row("19", posted, currency, amount_in(currency, 500, 5_000))
            row.update(
                DOC_TYPE="DA", POST_KEY="09", DB_CR_IND="S", SP_GL_IND="F", DOC_STATUS="S",
                ITEM_TEXT="Down payment request",
            )  # fmt: skip
            row["DOC_DATE"] = row["BLINE_DATE"] = dats(posted)
            rows.append(row)

        for _ in range(max(1, count // 4)):  # invoices paid lately: cleared, with their payment
            currency = rng.choice(currencies)
            posted = base - timedelta(days=rng.randint(35, 200))
            invoice = self._invoice(rng, new_row, posted, currency, amount_in(currency, 80, 9_000))
            cleared = min(base, posted + timedelta(days=rng.randint(10, 60)))
            payment = new_row("14", cleared, currency, invoice["AMT_DOCCUR"])
            payment.update(DOC_TYPE="DZ", POST_KEY="15", DB_CR_IND="H", ITEM_TEXT="Payment")
            payment["DOC_DATE"] = payment["BLINE_DATE"] = dats(cleared)
            for line in (invoice, payment):
                line["CLEAR_DATE"] = dats(cleared)
                line["CLR_DOC_NO"] = payment["DOC_NO"]
                line["DUNN_LEVEL"], line["LAST_DUNN"] = "0", ""
            rows += (invoice, payment)
        if number > self.stride:
            raise AssertionError("document numbers of two customers would overlap")
        return rows

    def _invoice(
        self, rng: random.Random, new_row: Any, posted: date, currency: str, amount: Decimal
    ) -> dict[str, Any]:
        row: dict[str, Any] = new_row("18", posted, currency, amount)
        documented = posted - timedelta(days=rng.randint(0, 3))
        terms = rng.choice(_TERMS_WEIGHTED)
        days1, days2, net, pct1, pct2 = PAYMENT_TERMS[terms]
        row.update(DOC_TYPE="RV", POST_KEY="01", DB_CR_IND="S", PMNTTRMS=terms)
        row["DOC_DATE"] = row["BLINE_DATE"] = dats(documented)
        row["DSCT_DAYS1"], row["DSCT_DAYS2"], row["NETTERMS"] = (
            Decimal(days1),
            Decimal(days2),
            Decimal(net),
        )
        row["DSCT_PCT1"], row["DSCT_PCT2"] = Decimal(pct1), Decimal(pct2)
        row["DISC_BASE"] = amount
        row["REF_DOC_NO"] = f"{90_000_000 + rng.randrange(10_000_000)}"
        row["ALLOC_NMBR"] = f"SO{rng.randrange(10_000_000):08d}"
        row["TAX_CODE"] = "A1"
        row["ITEM_TEXT"] = rng.choice(["", "", "Maintenance contract", "Spare parts", "Service"])
        due = documented + timedelta(days=net or days2 or days1)
        overdue = (self.base_date - due).days
        if overdue >= 10:
            level = min(4, 1 + (overdue - 10) // 20)
            row["DUNN_LEVEL"] = str(level)
            row["LAST_DUNN"] = dats(due + timedelta(days=10 + 20 * (level - 1)))
        if rng.random() < 0.03:
            row["DUNN_BLOCK"] = "R"  # disputed: kept out of the dunning run
        return row

    def _partial_payment(
        self, rng: random.Random, new_row: Any, invoice: dict[str, Any]
    ) -> dict[str, Any]:
        invoiced = invoice["AMT_DOCCUR"]
        currency = invoice["CURRENCY"]
        share = Decimal(rng.randint(10, 60)) / 100
        billed = date(int(invoice["PSTNG_DATE"][:4]), int(invoice["PSTNG_DATE"][4:6]), 1)
        billed = billed.replace(day=int(invoice["PSTNG_DATE"][6:]))
        when = billed + timedelta(days=rng.randint(1, max(1, (self.base_date - billed).days)))
        row: dict[str, Any] = new_row("14", when, currency, _money(invoiced * share, currency))
        row.update(DOC_TYPE="DZ", POST_KEY="15", DB_CR_IND="H", ITEM_TEXT="Partial payment")
        row["DOC_DATE"] = row["BLINE_DATE"] = dats(when)
        row["INV_REF"] = invoice["DOC_NO"]
        row["INV_YEAR"] = invoice["FISC_YEAR"]
        row["INV_ITEM"] = invoice["ITEM_NUM"]
        return row


def customer_line(
    customer: Customer,
    document: str,
    year: str,
    posted: date,
    currency: str,
    amount: Decimal,
    debit_credit: str,
) -> dict[str, Any]:
    """A BAPI3007_2 row for a customer line posted now (a payment, an invoice a test adds):
    the amount positive, its sign in DB_CR_IND (S debit, H credit)."""
    cc = COMPANY_CODES[customer.company_code]
    value = _money(abs(amount), currency)
    row = dict(_TEMPLATE)
    row.update(
        COMP_CODE=cc.code,
        CUSTOMER=customer.number,
        FISC_YEAR=year,
        DOC_NO=document,
        PSTNG_DATE=dats(posted),
        DOC_DATE=dats(posted),
        ENTRY_DATE=dats(posted),
        BLINE_DATE=dats(posted),
        FIS_PERIOD=f"{posted.month:02}",
        CURRENCY=currency,
        LOC_CURRCY=cc.currency,
        DB_CR_IND=debit_credit,
        AMT_DOCCUR=value,
        LC_AMOUNT=_local(value, currency, cc.currency),
    )
    return row
