"""A policy's criteria and an item's values in the reader's language.

The rules write their labels in English ("days overdue ≥ 30", gateway.rules.criteria) for the
CLI, the API and the logs. The console draws them again from the compiled criteria: the field's
name from the catalogs, numbers, amounts and dates in the reader's formats:

    words = CriteriaWords(_, ngettext, LocaleFormats("de"))
    words.label(criterion)                  # "Überfälligkeit in Tagen ≥ 30"
    words.verdicts(policy.criteria, verdicts, facts, as_of)   # for an item's explanation
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from gateway.i18n import LocaleFormats
from gateway.rules.amounts import Threshold
from gateway.rules.criteria import Criterion, Verdict
from gateway.rules.fields import FieldKind, FieldSpec, Op
from gateway.web.nav import N_

__all__ = ["FIELD_LABELS", "CriteriaWords", "ShownVerdict"]

# The fields' names as a criterion reads them (the same English as gateway.rules.fields).
FIELD_LABELS: Mapping[str, str] = {
    "dunning_level": N_("dunning level"),
    "days_overdue": N_("days overdue"),
    "open_amount": N_("open amount"),
    "currency": N_("currency"),
    "company_code": N_("company code"),
    "document_type": N_("document type"),
    "debtor_number": N_("debtor"),
    "country": N_("country"),
    "debtor_type": N_("debtor type"),
    "segment": N_("segment"),
    "disputed": N_("disputed"),
    "dunning_block": N_("dunning block"),
    "payment_promised": N_("payment promised"),
    "already_at_agency": N_("already at an agency"),
    "days_since_last_dunning": N_("days since the last reminder"),
    "debtor_overdue_total": N_("debtor's total overdue"),
    "risk_score": N_("debtor's risk score"),
    "case_total": N_("case total"),
    "item_count": N_("items in the case"),
    "max_days_overdue": N_("oldest item's days overdue"),
}
_SYMBOLS = {
    Op.EQUALS: "=",
    Op.NOT_EQUALS: "≠",
    Op.AT_LEAST: "≥",
    Op.AT_MOST: "≤",
    Op.MORE_THAN: ">",
    Op.LESS_THAN: "<",
}


@dataclass(frozen=True, slots=True)
class ShownVerdict:
    """A verdict as the console shows it: label and value in the reader's language."""

    label: str
    passed: bool
    value: str = ""
    children: tuple[ShownVerdict, ...] = ()


class CriteriaWords:
    """Labels and values in one language (`gettext`, `ngettext` of its catalog)."""

    def __init__(
        self,
        gettext: Callable[[str], str],
        ngettext: Callable[[str, str, int], str],
        formats: LocaleFormats,
    ) -> None:
        self._ = gettext
        self._n = ngettext
        self.formats = formats

    # --- labels ------------------------------------------------------------------------------

    def field(self, spec: FieldSpec) -> str:
        return self._(FIELD_LABELS.get(spec.name, spec.label))

    def _threshold(self, value: Threshold) -> str:
        if isinstance(value, Mapping):
            return " / ".join(self.formats.amount(a, c) for c, a in value.items())
        return self.formats.number(value)

    def _value(self, spec: FieldSpec, value: Any) -> str:
        if spec.kind is FieldKind.AMOUNT:
            return self._threshold(value)
        if isinstance(value, tuple):
            return ", ".join(self._value(spec, v) for v in value)
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return self.formats.number(value)
        return repr(value) if value == "" else str(value)

    def wanted(self, spec: FieldSpec, op: Op, value: Any) -> str:
        """What a test asks, e.g. "≥ 30", "in DE, FR", "between 100 and 500"."""
        _ = self._
        if op is Op.EMPTY:
            return _("empty") if value else _("not empty")
        if spec.kind is FieldKind.FLAG:
            return _("yes") if value else _("no")
        if op is Op.BETWEEN:
            low, high = value
            return _("between %(low)s and %(high)s") % {
                "low": self._value(spec, low),
                "high": self._value(spec, high),
            }
        if op is Op.IN:
            return _("in %(values)s") % {"values": self._value(spec, value)}
        if op is Op.NOT_IN:
            return _("not in %(values)s") % {"values": self._value(spec, value)}
        return f"{_SYMBOLS[op]} {self._value(spec, value)}"

    def label(self, criterion: Criterion) -> str:
        """The criterion as accounting reads it, in the reader's language."""
        _ = self._
        if criterion.leaf is not None:
            spec, test = criterion.leaf.spec, criterion.leaf.test
            name = self.field(spec)
            if spec.kind is FieldKind.FLAG:
                return name if test.value else _("not %(field)s") % {"field": name}
            if test.op is Op.EMPTY:
                text = _("no %(field)s") if test.value else _("some %(field)s")
                return text % {"field": name}
            return f"{name} {self.wanted(spec, test.op, test.value)}"
        parts = "; ".join(self.label(c) for c in criterion.children)
        if criterion.kind == "not":
            return _("not (%(criterion)s)") % {"criterion": parts}
        if criterion.kind == "all":
            return _("all of: %(criteria)s") % {"criteria": parts}
        return _("any of: %(criteria)s") % {"criteria": parts}

    def labels(self, criteria: Sequence[Criterion]) -> list[str]:
        """Every node of `criteria`, depth first (the order of a dry run's counts)."""
        return [self.label(node) for top in criteria for _, node in top.walk()]

    # --- an item's values --------------------------------------------------------------------

    def _days(self, days: int) -> str:
        return self._n("%(count)s day", "%(count)s days", days) % {
            "count": self.formats.number(days)
        }

    def value(self, field: str, facts: Any, as_of: date) -> str:
        """What the item (or case) has for `field`, as its explanation shows it."""
        _, formats = self._, self.formats
        if field == "days_overdue":
            due = facts.net_due_date
            return _("%(days)s (due %(date)s)") % {
                "days": self._days((as_of - due).days),
                "date": formats.date(due),
            }
        if field == "days_since_last_dunning":
            last = facts.last_dunning_date
            if last is None:
                return _("never dunned")
            return _("%(days)s (last reminder %(date)s)") % {
                "days": self._days((as_of - last).days),
                "date": formats.date(last),
            }
        if field == "payment_promised":
            until = facts.payment_promised_until
            if until is None:
                return _("no promise")
            text = _("promised until %(date)s") % {"date": formats.date(until)}
            return text + (" " + _("(passed)") if until < as_of else "")
        if field == "risk_score":
            score = facts.risk_score
            return _("no score") if score is None else _("%(score)s points") % {"score": score}
        amounts = {
            "open_amount": "open_amount_minor",
            "debtor_overdue_total": "debtor_overdue_total_minor",
            "case_total": "case_total_minor",
        }
        if field in amounts:
            return formats.money(getattr(facts, amounts[field]), facts.currency)
        value = getattr(facts, field)
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, int):
            return formats.number(value)
        return _("(none)") if value == "" else str(value)

    def verdicts(
        self,
        criteria: Sequence[Criterion],
        verdicts: Sequence[Verdict],
        facts: Any,
        as_of: date,
    ) -> list[ShownVerdict]:
        """`verdicts` (of `criteria`, in their order) in the reader's language."""
        return [self._verdict(c, v, facts, as_of) for c, v in zip(criteria, verdicts, strict=True)]

    def _verdict(
        self, criterion: Criterion, verdict: Verdict, facts: Any, as_of: date
    ) -> ShownVerdict:
        value = ""
        if criterion.leaf is not None:
            value = self.value(criterion.leaf.test.field, facts, as_of)
        children = tuple(
            self._verdict(c, v, facts, as_of)
            for c, v in zip(criterion.children, verdict.children, strict=True)
        )
        return ShownVerdict(self.label(criterion), verdict.passed, value, children)
