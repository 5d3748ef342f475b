"""Computed fields: values no single column holds, computed by a named, documented rule.

Each rule declares its inputs; in the mapping file every input is itself a field (a column
with its steps). The list is closed, like the steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from mappings.errors import FieldError
from mappings.legal_forms import has_legal_form
from mappings.transforms import to_decimal

__all__ = [
    "COMPUTED",
    "ComputedRule",
    "checked_sign",
    "debtor_kind_from_name",
    "instalment_open_amount",
    "sap_net_due_date",
]


def _days(value: Any, name: str) -> int:
    if value is None or value == "":
        return 0
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise FieldError(f"{name} is not a number of days", value) from None
    if days < 0:
        raise FieldError(f"{name} must not be negative", value)
    return days


def sap_net_due_date(
    baseline: Any = None,
    net_days: Any = None,
    days1: Any = None,
    days2: Any = None,
    debit_credit: Any = None,
    invoice_ref: Any = None,
    document_date: Any = None,
) -> date:
    """SAP's net due date of a customer line item (what function NET_DUE_DATE_GET computes).

    A credit line (debit/credit indicator H) that does not refer to an invoice is due on its
    baseline date. Otherwise the net due date is the baseline date plus the net payment terms
    (NETTERMS / ZBD3T); without them plus the second cash-discount days (DSCT_DAYS2 / ZBD2T);
    without those plus the first (DSCT_DAYS1 / ZBD1T). The baseline date alone is never the due
    date of an invoice with terms.

    An empty baseline date (ZFBDT initial: lines migrated from a legacy system, or posted by
    an interface that left it out) is the document date, as SAP's own due-date function
    (DETERMINE_DUE_DATE) takes it; without a document date either, the line is refused.
    """
    if baseline is None or baseline == "":
        baseline = document_date
        if baseline is None or baseline == "":
            raise FieldError("baseline date and document date are both empty", None)
    if not isinstance(baseline, date):
        raise FieldError("baseline date is not a date", baseline)
    credit = str(debit_credit or "").strip().upper() == "H"
    if credit and not str(invoice_ref or "").strip():
        return baseline
    for value, name in ((net_days, "net_days"), (days2, "days2"), (days1, "days1")):
        days = _days(value, name)
        if days:
            return baseline + timedelta(days=days)
    return baseline


def add_days(date_value: Any, days: Any = None) -> date | None:
    """A date plus a number of days (e.g. document date + payment terms)."""
    if date_value is None:
        return None
    if not isinstance(date_value, date):
        raise FieldError("not a date", date_value)
    return date_value + timedelta(days=_days(days, "days"))


def _codes(value: Any) -> set[str]:
    if isinstance(value, list | tuple | set | frozenset):
        return {str(v).strip().upper() for v in value}
    return {str(value).strip().upper()}


_SAP_SIGNS = frozenset({"S", "H"})


def signed(amount: Any, indicator: Any, negative: Any = "H", positive: Any = "S") -> Any:
    """An amount whose sign comes from a debit/credit indicator (SAP SHKZG / DB_CR_IND:
    S debit, H credit). Amounts are taken as written (SAP writes them positive); a negative
    indicator flips the sign. An indicator that is neither is an error."""
    amount = to_decimal(amount)
    if amount is None:
        return None
    code = str(indicator or "").strip().upper()
    if negative == "H" and positive == "S" and code in _SAP_SIGNS:  # SAP's own: the usual case
        return -amount if code == "H" else amount
    if code in _codes(negative):
        return -amount
    if code in _codes(positive):
        return amount
    allowed = sorted(_codes(negative) | _codes(positive))
    raise FieldError(f"unknown debit/credit indicator (allowed: {', '.join(allowed)})", indicator)


def checked_sign(amount: Any, indicator: Any, negative: Any = "H", positive: Any = "S") -> Any:
    """An amount written with its own sign, whose debit/credit indicator must agree with it
    (exports that give both: `-50,00` and `H`): a credit (the `negative` indicator) may not be
    positive, a debit (`positive`) may not be negative; zero goes with either. The amount is
    kept as written; a disagreement is an error (it would turn a credit into a claim)."""
    amount = to_decimal(amount)
    if amount is None:
        return None
    code = str(indicator or "").strip().upper()
    if code in _codes(negative):
        if amount > 0:
            raise FieldError(
                f"the amount is positive but its indicator {code} says credit (negative)", amount
            )
        return amount
    if code in _codes(positive):
        if amount < 0:
            raise FieldError(
                f"the amount is negative but its indicator {code} says debit (positive)", amount
            )
        return amount
    allowed = sorted(_codes(negative) | _codes(positive))
    raise FieldError(f"unknown debit/credit indicator (allowed: {', '.join(allowed)})", indicator)


def debtor_kind_from_name(
    name: Any,
    name2: Any = None,
    vat_id: Any = None,
    registration: Any = None,
    legal_forms: Any = None,
) -> str:
    """'company' when the debtor shows itself as one (a VAT number, a registration number, a
    legal form such as GmbH, SARL or Ltd in either name line: mappings/legal_forms.py, plus
    the mapping's own `legal_forms`), otherwise 'person': consumer terms are the safe side
    when an export does not say (a consumer owes less interest and no flat fee)."""
    if str(vat_id or "").strip() or str(registration or "").strip():
        return "company"
    extra: tuple[str, ...] = ()
    if legal_forms:
        forms = legal_forms if isinstance(legal_forms, list | tuple) else [legal_forms]
        extra = tuple(str(f) for f in forms)
    for text in (name, name2):
        if text and has_legal_form(str(text), extra):
            return "company"
    return "person"


def _listed(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def instalment_open_amount(
    amount: Any,
    to_pay: Any = None,
    line: Any = None,
    lines: Any = None,
    amounts: Any = None,
    due_dates: Any = None,
    settled: Any = None,
) -> Any:
    """What is still open on one line of an invoice whose ERP knows only what the whole
    invoice still expects (Tryton's `amount_to_pay`): the invoice's paid share (its open lines'
    amounts less `to_pay`) is spread over its open lines, the one due first first (what
    § 366 (2) BGB applies to a payment that names no debt), and this line keeps the rest.

    `lines`, `amounts`, `due_dates` and `settled` describe every line of the invoice, in one
    order (a line whose `settled` is not empty, e.g. reconciled, is out of it); `line` is this
    line's id. Without `to_pay` (a line that belongs to no invoice) the amount is open in full.
    A credit note (negative amounts) is spread the same way, towards zero.
    """
    own = to_decimal(amount)
    expected = to_decimal(to_pay)
    if own is None or expected is None:
        return own
    ids = _listed(lines)
    values = [to_decimal(v) for v in _listed(amounts)]
    days = _listed(due_dates)
    done = _listed(settled) or [None] * len(ids)
    if not ids:
        ids, values, days, done = [line], [own], [None], [None]
    if not (len(ids) == len(values) == len(days) == len(done)):
        raise FieldError(
            f"the invoice's lines, amounts, due dates and settled flags differ in number "
            f"({len(ids)}, {len(values)}, {len(days)}, {len(done)})",
            line,
        )
    sign = -1 if sum((v or 0 for v in values), Decimal(0)) < 0 else 1
    open_lines = sorted(
        (
            (day or date.max, str(ident), sign * (value or Decimal(0)), ident)
            for ident, value, day, flag in zip(ids, values, days, done, strict=True)
            if flag is None or flag == "" or flag is False
        ),
        key=lambda entry: entry[:2],
    )
    if str(line) not in {entry[1] for entry in open_lines}:
        return own
    paid = sum((entry[2] for entry in open_lines), Decimal(0)) - sign * expected
    for _, ident, value, _ in open_lines:
        share = min(max(paid, Decimal(0)), max(value, Decimal(0)))
        paid -= share
        if ident == str(line):
            return sign * (value - share)
    return own


@dataclass(frozen=True, slots=True)
class ComputedRule:
    name: str
    function: Callable[..., Any]
    required: frozenset[str]
    optional: frozenset[str]
    doc: str

    @property
    def inputs(self) -> frozenset[str]:
        return self.required | self.optional


COMPUTED: Mapping[str, ComputedRule] = {
    r.name: r
    for r in (
        ComputedRule(
            "sap_net_due_date",
            sap_net_due_date,
            frozenset({"baseline"}),
            frozenset(
                {"net_days", "days1", "days2", "debit_credit", "invoice_ref", "document_date"}
            ),
            "SAP net due date from the baseline date and payment terms",
        ),
        ComputedRule(
            "signed",
            signed,
            frozenset({"amount", "indicator"}),
            frozenset({"negative", "positive"}),
            "an amount signed by a debit/credit indicator (S/H by default)",
        ),
        ComputedRule(
            "checked_sign",
            checked_sign,
            frozenset({"amount", "indicator"}),
            frozenset({"negative", "positive"}),
            "a signed amount whose debit/credit indicator must agree with its sign",
        ),
        ComputedRule(
            "debtor_kind_from_name",
            debtor_kind_from_name,
            frozenset({"name"}),
            frozenset({"name2", "vat_id", "registration", "legal_forms"}),
            "person or company from the legal form in the name, a VAT or registration number",
        ),
        ComputedRule(
            "instalment_open_amount",
            instalment_open_amount,
            frozenset({"amount"}),
            frozenset({"to_pay", "line", "lines", "amounts", "due_dates", "settled"}),
            "what is open on one instalment when the ERP knows what the whole invoice expects",
        ),
        ComputedRule(
            "add_days",
            add_days,
            frozenset({"date_value"}),
            frozenset({"days"}),
            "a date plus a number of days",
        ),
    )
}
