"""Seeds a Tryton database the way an accountant would fill it, through Tryton's own wizards
(with proteus, Tryton's scripting client), for the demo and the tests. Run it as a program, in
its own process, so that claimbridge itself never loads Tryton:

    python -m simulators.tryton.seed seed -c trytond.conf -d NAME --as-of 2026-11-20
    python -m simulators.tryton.seed pay -c trytond.conf -d NAME --invoice 7 --date 2026-11-20
    python -m simulators.tryton.seed books -c trytond.conf -d NAME --through 2027-01-15

`seed` creates a company (EUR, with USD and GBP and their rates, and the currency-exchange
accounts), the English chart of accounts, a fiscal year with monthly periods, a three-level
dunning procedure (14, 30 and 45 days overdue), payment terms (14 days net; two instalments),
two payment methods (the collection agency's and the bank's), customers, and posts their
invoices and credit notes, some paid in part; then it runs the dunning wizards (create +
process) at four dates before `--as-of`, as time would. It prints what it made as JSON (see
simulators/tryton/facts.py).

`pay` records a payment of an invoice by its debtor, with the bank payment method (a direct
payment, seen by claimbridge as the line being reconciled).

`books` opens the fiscal years (with their monthly periods) that the books need to take moves
dated up to `--through`, as an accountant opens next year's books: Tryton refuses a payment
dated in no period ("you must create a period for the date"). The demo opens them for the
days it runs on: its business date may lie in the past (the last day the shipped reference
rates cover), while the agency reports, and claimbridge writes back, what happens today.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from simulators.tryton.facts import (
    AGENCY_PAYMENT_METHOD,
    BANK_PAYMENT_METHOD,
    CUSTOMERS,
    DUNNING_RUNS,
    LEVELS,
    RATES,
)

__all__ = ["main"]


def _connect(config_file: str, database: str) -> Any:
    from proteus import config

    connection = config.set_trytond(database=database, config_file=config_file)
    connection.skip_warning = True  # posting invoices dated in the past warns
    return connection


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def seed(config_file: str, database: str, as_of: date) -> dict[str, Any]:
    """Fill an empty database (modules activated) and return what was made."""
    connection = _connect(config_file, database)
    from proteus import Model, Wizard

    party_model = Model.get("party.party")
    currency_model = Model.get("currency.currency")
    user_model = Model.get("res.user")
    account_model = Model.get("account.account")

    euro = currency_model(name="Euro", symbol="€", code="EUR", rounding=Decimal("0.01"))
    euro.rates.new(date=as_of - timedelta(days=400), rate=Decimal(1))
    euro.save()
    currencies = {"EUR": euro}
    for code, name, symbol in (("USD", "US Dollar", "$"), ("GBP", "Pound Sterling", "£")):
        foreign = currency_model(name=name, symbol=symbol, code=code, rounding=Decimal("0.01"))
        early, late = RATES[code]
        foreign.rates.new(date=as_of - timedelta(days=400), rate=Decimal(early))
        foreign.rates.new(date=as_of - timedelta(days=10), rate=Decimal(late))
        foreign.save()
        currencies[code] = foreign
    country = Model.get("country.country")(name="Germany", code="DE", code3="DEU")
    country.save()
    company_wizard = Wizard("company.company.config")
    company_wizard.execute("company")
    owner = party_model(name="Example Trading GmbH")
    owner.save()
    company_wizard.form.party = owner
    company_wizard.form.currency = euro
    company_wizard.execute("add")
    connection._context = user_model.get_preferences(True, {})
    (company,) = Model.get("company.company").find()

    template = Model.get("account.account.template")(
        Model.get("ir.model.data").get_id("account.account_template_root_en", connection.context)
    )
    chart = Wizard("account.create_chart")
    chart.execute("account")
    chart.form.account_template = template
    chart.form.company = company
    chart.execute("create_account")

    def account(*domain: Any) -> Any:
        (found,) = account_model.find(
            [("company", "=", company.id), ("closed", "!=", True), *domain], limit=1
        )
        return found

    receivable = account(("type.receivable", "=", True))
    revenue = account(("type.revenue", "=", True))
    cash = account(("code", "=", "1.1.1"))
    chart.form.account_receivable = receivable
    chart.form.account_payable = account(("type.payable", "=", True))
    chart.execute("create_properties")
    # Paying a foreign-currency invoice at another rate than its own leaves a difference in EUR:
    # Tryton books it on the currency-exchange accounts when it reconciles (docs/rest.md).
    configuration = Model.get("account.configuration")(1)
    configuration.currency_exchange_credit_account = account(
        ("type.statement", "=", "income"), ("type.revenue", "=", True)
    )
    configuration.currency_exchange_debit_account = account(
        ("type.statement", "=", "income"), ("type.expense", "=", True)
    )
    configuration.save()

    books_until = _month_end(as_of + timedelta(days=90))
    _fiscal_year(company, _month_start(as_of - timedelta(days=220)), books_until)

    procedure = Model.get("account.dunning.procedure")(name="Standard reminders")
    for sequence, days in LEVELS:
        procedure.levels.new(sequence=sequence, overdue=timedelta(days=days))
    procedure.save()
    term = Model.get("account.invoice.payment_term")(name="14 days net")
    line = term.lines.new(type="remainder")
    line.relativedeltas.new(days=14)
    term.save()
    instalments = Model.get("account.invoice.payment_term")(name="Two instalments")
    first = instalments.lines.new(type="percent", ratio=Decimal("0.5"))
    first.relativedeltas.new(days=14)
    rest = instalments.lines.new(type="remainder")
    rest.relativedeltas.new(days=44)
    instalments.save()
    (cash_journal,) = Model.get("account.journal").find([("type", "=", "cash")], limit=1)
    methods = {}
    for name in (AGENCY_PAYMENT_METHOD, BANK_PAYMENT_METHOD):
        method = Model.get("account.invoice.payment.method")(
            name=name,
            company=company,
            journal=cash_journal,
            credit_account=cash,
            debit_account=cash,
        )
        method.save()
        methods[name] = method.id

    customers: dict[str, Any] = {}
    parties: dict[str, Any] = {}
    invoice_addresses: dict[str, Any] = {}
    for customer in CUSTOMERS:
        party = party_model(
            name=customer.name,
            dunning_procedure=procedure if customer.dunning_procedure else None,
            customer_payment_term=term,
        )
        address = party.addresses[0]
        address.street, address.postal_code, address.city = customer.address
        address.country = country
        if customer.invoice_address is not None:
            billing = party.addresses.new(invoice=True)
            billing.street, billing.postal_code, billing.city = customer.invoice_address
            billing.country = country
        party.contact_mechanisms.new(type="email", value=customer.email)
        party.save()
        parties[customer.key] = party
        if customer.invoice_address is not None:
            invoice_addresses[customer.key] = party.addresses[1]
        customers[customer.key] = {"party": party.id, "code": party.code, "name": party.name}

    invoice_model = Model.get("account.invoice")
    by_key = {c.key: c for c in CUSTOMERS}
    # (invoice date, customer, name, amount, what): invoices and credit notes, posted in
    # date order (numbering is strictly sequential by date)
    plan: list[tuple[date, str, str, str, str]] = []
    for customer in CUSTOMERS:
        terms_days = 44 if customer.instalments else 14
        for n, (overdue, amount) in enumerate(customer.invoices, start=1):
            day = as_of - timedelta(days=overdue + terms_days)
            plan.append((day, customer.key, f"{customer.key}-{n}", amount, "invoice"))
        for n, (before, amount) in enumerate(customer.credit_notes, start=1):
            day = as_of - timedelta(days=before)
            plan.append((day, customer.key, f"{customer.key}-credit-{n}", amount, "credit"))
    plan.sort()
    invoices: dict[str, Any] = {}
    for invoice_date, key, name, amount, what in plan:
        customer = by_key[key]
        invoice = invoice_model(
            type="out",
            party=parties[key],
            invoice_date=invoice_date,
            currency=currencies[customer.currency],
            payment_term=instalments if customer.instalments and what == "invoice" else term,
        )
        if key in invoice_addresses:
            invoice.invoice_address = invoice_addresses[key]
        entry = invoice.lines.new()
        entry.account = revenue
        entry.description = "Goods delivered" if what == "invoice" else "Goods returned"
        entry.quantity = 1 if what == "invoice" else -1
        entry.unit_price = Decimal(amount)
        invoice.click("post")
        lines = sorted(invoice.lines_to_pay, key=lambda line: (line.maturity_date, line.id))
        invoices[name] = {
            "id": invoice.id,
            "number": invoice.number,
            "line": lines[0].id,
            "lines": [line.id for line in lines],
            "amount": str(invoice.total_amount),
            "currency": customer.currency,
            "due": lines[0].maturity_date.isoformat(),
        }

    for customer in CUSTOMERS:
        if customer.paid_before:
            paid = invoice_model(invoices[f"{customer.key}-1"]["id"])
            _pay(paid, Decimal(customer.paid_before), as_of - timedelta(days=60))
            invoices[f"{customer.key}-1"]["paid_before"] = customer.paid_before

    dunning_model = Model.get("account.dunning")
    for days_before in DUNNING_RUNS:
        create = Wizard("account.dunning.create")
        create.form.date = as_of - timedelta(days=days_before)
        create.execute("create_")
        drafts = dunning_model.find([("state", "=", "draft")])
        if drafts:
            Wizard("account.dunning.process", drafts).execute("process")

    for customer in CUSTOMERS:
        if customer.blocked_in_tryton:
            for dunning in dunning_model.find([("party", "=", parties[customer.key].id)]):
                dunning.blocked = True
                dunning.save()

    dunnings = {
        line_id: {"id": d.id, "level": d.level.sequence, "state": d.state, "blocked": d.blocked}
        for d in dunning_model.find([])
        for line_id in [d.line.id]
    }
    for facts in invoices.values():
        facts["dunning"] = dunnings.get(facts["line"])
        facts["dunnings"] = [dunnings.get(line) for line in facts["lines"]]
    return {
        "company": company.id,
        "as_of": as_of.isoformat(),
        "books_until": books_until.isoformat(),
        "customers": customers,
        "invoices": invoices,
        "payment_methods": methods,
    }


def _fiscal_year(company: Any, start: date, end: date) -> None:
    """A fiscal year from `start` to `end`, with its own move and invoice numbering (Tryton
    wants one move sequence per fiscal year) and monthly periods."""
    from proteus import Model

    strict = Model.get("ir.sequence.strict")
    kinds = Model.get("ir.sequence.type")
    year = Model.get("account.fiscalyear")(
        name=f"FY {start:%Y-%m}", start_date=start, end_date=end, company=company
    )
    (move_kind,) = kinds.find([("name", "=", "Account Move")], limit=1)
    moves = strict(name=f"Moves {start:%Y-%m}", sequence_type=move_kind, company=company)
    moves.save()
    year.move_sequence = moves
    (invoice_kind,) = kinds.find([("name", "=", "Invoice")], limit=1)
    numbers = strict(name=f"Invoices {start:%Y-%m}", sequence_type=invoice_kind, company=company)
    numbers.save()
    (sequences,) = year.invoice_sequences
    sequences.out_invoice_sequence = numbers
    sequences.out_credit_note_sequence = numbers
    sequences.in_invoice_sequence = numbers
    sequences.in_credit_note_sequence = numbers
    year.save()
    year.click("create_period")


def open_books(config_file: str, database: str, through: date) -> date:
    """Open fiscal years after the last one until moves dated `through` have a period (each
    year twelve months at most, the last one ending three months after `through`); returns
    the last day the books now cover."""
    _connect(config_file, database)
    from proteus import Model

    (company,) = Model.get("company.company").find([], limit=1)
    years = Model.get("account.fiscalyear").find(
        [("company", "=", company.id)], order=[("end_date", "DESC")], limit=1
    )
    until: date = years[0].end_date
    last = _month_end(through + timedelta(days=90))
    while until < through:
        start = until + timedelta(days=1)
        until = min(_month_end(start + timedelta(days=334)), last)
        _fiscal_year(company, start, until)
    return until


def pay(config_file: str, database: str, invoice_id: int, on: date, amount: Decimal | None) -> str:
    """The debtor pays an invoice (all that is left, or `amount`) to the company's bank."""
    _connect(config_file, database)
    from proteus import Model

    invoice = Model.get("account.invoice")(invoice_id)
    _pay(invoice, amount, on)
    invoice.reload()
    return str(invoice.state)


def _pay(invoice: Any, amount: Decimal | None, on: date) -> None:
    """The invoice wizard's payment by bank transfer: all that is left, or a part of it
    (recorded as a payment line of the invoice, which stays open)."""
    from proteus import Model, Wizard

    (method,) = Model.get("account.invoice.payment.method").find(
        [("name", "=", BANK_PAYMENT_METHOD)]
    )
    wizard = Wizard("account.invoice.pay", [invoice])
    wizard.form.amount = amount if amount is not None else invoice.amount_to_pay
    wizard.form.payment_method = method
    wizard.form.date = on
    wizard.form.description = "Paid by bank transfer"
    wizard.execute("choice")
    if wizard.state != "end":  # less than is due: Tryton asks what to do with the rest
        wizard.form.type = "partial"  # keep it open (not written off)
        wizard.execute("pay")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.tryton.seed")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("seed", "pay", "books"):
        command = commands.add_parser(name)
        command.add_argument("-c", "--config", required=True)
        command.add_argument("-d", "--database", required=True)
    commands.choices["seed"].add_argument("--as-of", required=True, type=date.fromisoformat)
    commands.choices["pay"].add_argument("--invoice", required=True, type=int)
    commands.choices["pay"].add_argument("--date", required=True, type=date.fromisoformat)
    commands.choices["pay"].add_argument("--amount", type=Decimal, default=None)
    commands.choices["books"].add_argument("--through", required=True, type=date.fromisoformat)
    args = parser.parse_args(argv)
    if args.command == "seed":
        result: Any = seed(args.config, args.database, args.as_of)
    elif args.command == "books":
        until = open_books(args.config, args.database, args.through)
        result = {"books_until": until.isoformat()}
    else:
        result = {"state": pay(args.config, args.database, args.invoice, args.date, args.amount)}
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
