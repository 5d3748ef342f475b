"""Matching incoming bank payments to handed-over items: by reference, debtor and amount, and
never by guessing.

A payment is matched to one case, and split over that case's items, when the evidence points
to exactly one case and the amount fits:

1. **Reference.** A structured creditor reference (ISO 11649 `RF..` with valid check digits,
   or another SCOR reference) or a word of the unstructured remittance text that equals an
   item's document number or reference, or a case reference (compared in upper case, letters
   and digits only; numbers without leading zeros; words under 4 characters are not looked
   up in free text). If the references point to several cases, the one whose debtor name
   equals the payer's name is taken if there is exactly one; otherwise it is ambiguous.
2. **Debtor and amount**, when no reference is found: among the payer's cases at an agency
   (debtor name equal to the payer's name) in the payment's currency, the one case whose
   outstanding amount, or the one item whose open amount, equals the payment exactly.

A matched payment pays the items it names (the whole case when the reference is the case's),
oldest due date first; less than they lack is a partial payment. A payment is **listed for
accounting**, never applied, when it is more than the named items lack, in another currency,
for a case that is not at an agency, points to several cases, or matches a debtor but no
amount. A payment that concerns no case at all is **unrelated** (the creditor's ordinary
cash, for the ERP to apply).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from gateway.domain.money import Money

__all__ = [
    "CaseOpen",
    "IncomingPayment",
    "ItemOpen",
    "MatchOutcome",
    "PaymentIndex",
    "PaymentMatch",
    "creditor_reference_payload",
    "reference_key",
]

MIN_TEXT_KEY = 4
_SPLIT = re.compile(r"[\s,;:/()\[\]#]+")
_RF = re.compile(r"^RF(\d{2})([0-9A-Z]{1,21})$")


class MatchOutcome(enum.StrEnum):
    MATCHED = "matched"  # applied to a case as a direct payment
    UNMATCHED = "unmatched"  # related to a case but cannot be applied: listed for accounting
    AMBIGUOUS = "ambiguous"  # points to several cases: listed for accounting
    UNRELATED = "unrelated"  # concerns no case


@dataclass(slots=True)
class ItemOpen:
    """An item of a case: what it still lacks (handed over less collected and paid)."""

    item_id: int
    document_number: str
    reference: str
    due: date
    remaining: int


@dataclass(slots=True)
class CaseOpen:
    case_id: int
    reference: str
    currency: str
    debtor_name: str
    at_agency: bool
    state: str
    items: list[ItemOpen] = field(default_factory=list)

    @property
    def outstanding(self) -> int:
        return sum(max(i.remaining, 0) for i in self.items)


@dataclass(frozen=True, slots=True)
class IncomingPayment:
    amount: int  # minor units of `currency`
    currency: str
    debtor_name: str = ""
    structured_reference: str = ""
    remittance_text: str = ""


@dataclass(frozen=True, slots=True)
class PaymentMatch:
    """What a payment is: `shares` (item id, minor units) when matched; `reason` says how it
    was matched, or why it is listed."""

    outcome: MatchOutcome
    reason: str
    case_id: int | None = None
    shares: tuple[tuple[int, int], ...] = ()


def reference_key(text: str) -> str:
    """A reference as compared: upper case, letters and digits only, a number without its
    leading zeros."""
    key = "".join(ch for ch in text.upper() if ch.isalnum())
    if key.isdigit():
        key = key.lstrip("0") or "0"
    return key


def creditor_reference_payload(reference: str) -> str | None:
    """The reference inside an ISO 11649 creditor reference (`RF18 5390 0754 7034` →
    `539007547034`), or None if it is not one or its check digits are wrong."""
    compact = "".join(reference.upper().split())
    match = _RF.match(compact)
    if match is None:
        return None
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return match.group(2) if int(digits) % 97 == 1 else None


def _name_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(
        ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch)
    )
    return " ".join(letters.split())


class PaymentIndex:
    """The cases a payment may be for, indexed by reference and debtor name. `settle` keeps it
    true as payments of the same file are applied."""

    def __init__(self, cases: Iterable[CaseOpen]) -> None:
        self._cases: dict[int, CaseOpen] = {}
        self._references: dict[str, set[tuple[int, int | None]]] = {}
        self._names: dict[str, set[int]] = {}
        for case in cases:
            self._cases[case.case_id] = case
            self._add(case.reference, (case.case_id, None))
            for item in case.items:
                self._add(item.document_number, (case.case_id, item.item_id))
                self._add(item.reference, (case.case_id, item.item_id))
            if case.at_agency and case.debtor_name:
                self._names.setdefault(_name_key(case.debtor_name), set()).add(case.case_id)

    def _add(self, text: str, target: tuple[int, int | None]) -> None:
        key = reference_key(text) if text else ""
        if key:
            self._references.setdefault(key, set()).add(target)

    def __len__(self) -> int:
        return len(self._cases)

    def case(self, case_id: int) -> CaseOpen:
        return self._cases[case_id]

    def settle(self, match: PaymentMatch) -> None:
        """Reduce what the items lack by a matched payment's shares."""
        if match.case_id is None:
            return
        items = {i.item_id: i for i in self._cases[match.case_id].items}
        for item_id, share in match.shares:
            items[item_id].remaining -= share

    def match(self, payment: IncomingPayment) -> PaymentMatch:
        hits, found = self._referenced(payment)
        if hits:
            return self._by_reference(payment, hits, found)
        return self._by_debtor(payment)

    def _referenced(self, payment: IncomingPayment) -> tuple[dict[int, set[int | None]], list[str]]:
        keys: list[tuple[str, str]] = []
        structured = payment.structured_reference.strip()
        if structured:
            payload = creditor_reference_payload(structured)
            keys.append((reference_key(structured), structured))
            if payload is not None:
                keys.append((reference_key(payload), structured))
        for word in _SPLIT.split(payment.remittance_text):
            key = reference_key(word)
            if len(key) >= MIN_TEXT_KEY:
                keys.append((key, word))
        hits: dict[int, set[int | None]] = {}
        found: list[str] = []
        for key, shown in keys:
            for case_id, item_id in self._references.get(key, ()):
                hits.setdefault(case_id, set()).add(item_id)
                if shown not in found:
                    found.append(shown)
        return hits, found

    def _by_reference(
        self, payment: IncomingPayment, hits: Mapping[int, set[int | None]], found: list[str]
    ) -> PaymentMatch:
        named = ", ".join(found)
        if len(hits) > 1:
            payer = _name_key(payment.debtor_name)
            same = [c for c in hits if payer and _name_key(self._cases[c].debtor_name) == payer]
            if len(same) != 1:
                cases = ", ".join(sorted(self._cases[c].reference for c in hits))
                return PaymentMatch(
                    MatchOutcome.AMBIGUOUS, f"reference {named} points to cases {cases}"
                )
            hits = {same[0]: hits[same[0]]}
        ((case_id, item_ids),) = hits.items()
        case = self._cases[case_id]
        how = f"reference {named} of case {case.reference}"
        if not case.at_agency:
            return PaymentMatch(
                MatchOutcome.UNMATCHED,
                f"{how}: the case is {case.state}, not at an agency",
                case_id,
            )
        if payment.currency != case.currency:
            return PaymentMatch(
                MatchOutcome.UNMATCHED,
                f"{how}: paid in {payment.currency}, the case is in {case.currency}",
                case_id,
            )
        items = (
            list(case.items)
            if None in item_ids
            else [i for i in case.items if i.item_id in item_ids]
        )
        lacking = sum(max(i.remaining, 0) for i in items)
        if lacking <= 0:
            return PaymentMatch(
                MatchOutcome.UNMATCHED, f"{how}: nothing is open on it any more", case_id
            )
        if payment.amount > lacking:
            return PaymentMatch(
                MatchOutcome.UNMATCHED,
                f"{how}: pays {Money(payment.amount, case.currency)}, more than the "
                f"{Money(lacking, case.currency)} open "
                "on what it names",
                case_id,
            )
        return PaymentMatch(
            MatchOutcome.MATCHED, how, case_id, _oldest_first(payment.amount, items)
        )

    def _by_debtor(self, payment: IncomingPayment) -> PaymentMatch:
        payer = _name_key(payment.debtor_name)
        candidates = [
            self._cases[c]
            for c in sorted(self._names.get(payer, ()) if payer else ())
            if self._cases[c].currency == payment.currency
        ]
        if not candidates:
            return PaymentMatch(MatchOutcome.UNRELATED, "no reference or debtor of a case")
        whole = [c for c in candidates if c.outstanding == payment.amount]
        single = [(c, i) for c in candidates for i in c.items if i.remaining == payment.amount]
        shown = ", ".join(
            f"{c.reference} ({Money(c.outstanding, c.currency)} open)" for c in candidates
        )
        if len(whole) == 1 and not [s for s in single if s[0] is not whole[0]]:
            case = whole[0]
            return PaymentMatch(
                MatchOutcome.MATCHED,
                f"debtor {payment.debtor_name} and the amount open on case {case.reference}",
                case.case_id,
                _oldest_first(payment.amount, case.items),
            )
        if not whole and len(single) == 1:
            case, item = single[0]
            return PaymentMatch(
                MatchOutcome.MATCHED,
                f"debtor {payment.debtor_name} and the amount open on item "
                f"{item.document_number} of case {case.reference}",
                case.case_id,
                ((item.item_id, payment.amount),),
            )
        if whole or single:
            return PaymentMatch(
                MatchOutcome.AMBIGUOUS,
                f"no reference; debtor {payment.debtor_name} has several cases or items with "
                f"this amount open: {shown}",
            )
        return PaymentMatch(
            MatchOutcome.UNMATCHED,
            f"no reference; debtor {payment.debtor_name} has {shown}, none with this amount open",
            candidates[0].case_id if len(candidates) == 1 else None,
        )


def _oldest_first(amount: int, items: list[ItemOpen]) -> tuple[tuple[int, int], ...]:
    shares = []
    left = amount
    for item in sorted(items, key=lambda i: (i.due, i.item_id)):
        share = min(left, max(item.remaining, 0))
        if share:
            shares.append((item.item_id, share))
            left -= share
        if not left:
            break
    return tuple(shares)
