"""What the simulated agency reports about the cases it works: realistic event streams in the
agency API's `AgencyEvent` shape, deterministic under a seed.

Each case gets a storyline picked by the seeded generator, and the stream as posted has what
real agencies send too (domain.md section 4: webhooks retried, not ordered):

- accepted, in progress, a payment plan, a message, a dispute, paid, uncollectible, rejected;
- partial payments split into principal, interest, fees and commission;
- a payment reversed (a bounced direct debit);
- the same event posted twice (a retry after a lost answer);
- out of order: the closing "paid" posted before the payment it follows;
- late: an event dated before others already posted;
- after a recall, the payment the debtor made before the agency read the recall
  (`payment_after_recall`).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from gateway.domain.money import currency_digits

__all__ = ["AgencyCase", "EventStream", "Posting", "event_stream", "payment_after_recall"]

COMMISSION = Decimal("0.15")
STORYLINES = ("paid", "plan", "uncollectible", "reversal", "rejected", "dispute", "message")


@dataclass(frozen=True, slots=True)
class AgencyCase:
    """A case as the agency knows it: enough to report on it."""

    reference: str
    currency: str
    total: Decimal


@dataclass(frozen=True, slots=True)
class Posting:
    """One request the agency makes: a batch of events, or a single event."""

    events: tuple[dict[str, Any], ...]
    batch: bool

    @property
    def idempotency_key(self) -> str:
        """Stable (posting the same again is a replay) and at most 200 characters."""
        if not self.batch:
            return f"event:{self.events[0]['event_id']}"[:200]
        ids = ",".join(e["event_id"] for e in self.events)
        digest = hashlib.sha256(ids.encode()).hexdigest()[:32]
        return f"batch:{len(self.events)}:{digest}"


@dataclass(slots=True)
class EventStream:
    """The events in the order they are posted, and the storyline of each case."""

    postings: list[Posting] = field(default_factory=list)
    storylines: dict[str, str] = field(default_factory=dict)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [e for p in self.postings for e in p.events]

    @property
    def distinct(self) -> dict[str, dict[str, Any]]:
        """Event id → event, each once (what claimbridge should end up with)."""
        return {e["event_id"]: e for e in self.events}


def unit(currency: str) -> Decimal:
    """The smallest amount of `currency` (0.01 EUR, 1 JPY, 0.001 KWD): an agency reports
    no amount finer than its currency has."""
    return Decimal(1).scaleb(-currency_digits(currency))


def _money(value: Decimal, currency: str) -> str:
    return format(value.quantize(unit(currency), ROUND_HALF_UP), "f")


class _Case:
    def __init__(self, agency: str, case: AgencyCase, start: datetime, spacing: timedelta) -> None:
        self.agency, self.case, self.at, self.n = agency, case, start, 0
        self.spacing = spacing
        self.events: list[dict[str, Any]] = []

    def add(self, kind: str, note: str = "", **money: Decimal) -> dict[str, Any]:
        self.n += 1
        self.at += self.spacing
        event: dict[str, Any] = {
            "event_id": f"{self.agency}-{self.case.reference}-{self.n}",
            "case_reference": self.case.reference,
            "kind": kind,
            "occurred_at": self.at.isoformat(),
        }
        if money:
            event.update({k: _money(v, self.case.currency) for k, v in money.items()})
            event["currency"] = self.case.currency
        if note:
            event["note"] = note
        self.events.append(event)
        return event

    def pay(
        self,
        principal: Decimal,
        note: str = "",
        interest: Decimal = Decimal(0),
        fees: Decimal = Decimal(0),
    ) -> dict[str, Any]:
        cent = unit(self.case.currency)
        principal = principal.quantize(cent, ROUND_HALF_UP)
        interest, fees = interest.quantize(cent, ROUND_HALF_UP), fees.quantize(cent, ROUND_HALF_UP)
        return self.add(
            "payment",
            note,
            amount=principal + interest + fees,
            principal=principal,
            interest=interest,
            fees=fees,
            commission=principal * COMMISSION,
        )


def _story(c: _Case, storyline: str, rng: random.Random) -> None:
    total = c.case.total
    cent = unit(c.case.currency)
    if storyline == "rejected":
        c.add("rejected", "no collection for debtors in this country")
        return
    c.add("accepted")
    if storyline == "paid":
        c.add("in_progress", "first reminder sent")
        interest = (total * Decimal("0.0125")).quantize(cent, ROUND_HALF_UP)
        c.pay(total, "bank transfer", interest=interest, fees=Decimal("40.00"))
        c.add("paid", "paid in full")
    elif storyline == "plan":
        c.add("payment_plan", "6 monthly instalments agreed")
        share = (total / 6).quantize(cent, ROUND_HALF_UP)
        for month in range(1, rng.randint(2, 3) + 1):
            c.pay(share, f"instalment {month} of 6")
    elif storyline == "reversal":
        c.add("in_progress")
        part = min(Decimal("250.00"), total / 2).quantize(cent, ROUND_HALF_UP)
        c.pay(part, "direct debit")
        c.add(
            "payment_reversal",
            "direct debit returned by the bank",
            amount=part,
            principal=part,
            commission=part * COMMISSION,
        )
        c.add("in_progress", "new reminder after the returned debit")
    elif storyline == "uncollectible":
        c.add("in_progress")
        c.pay(min(Decimal("100.00"), total / 4), "partial payment")
        c.add("uncollectible", "debtor insolvent, proceedings opened")
    elif storyline == "message":
        c.add("in_progress")
        c.add("message", "debtor promises payment within 14 days")
    else:  # dispute
        c.add("disputed", "debtor says the goods were never delivered")


def event_stream(
    cases: Sequence[AgencyCase],
    start: datetime,
    seed: int = 7,
    agency: str = "SIM",
    batch_size: int = 50,
    spacing: timedelta = timedelta(minutes=30),
) -> EventStream:
    """The events the agency posts about `cases`, from `start` on (`spacing` apart per case),
    and how (batches and single posts), deterministic under `seed`."""
    rng = random.Random(seed)
    stream = EventStream()
    per_case: list[_Case] = []
    for index, case in enumerate(cases):
        storyline = (
            STORYLINES[index % len(STORYLINES)]
            if index < len(STORYLINES)
            else (rng.choice(STORYLINES))
        )
        c = _Case(agency, case, start + timedelta(milliseconds=index), spacing)
        _story(c, storyline, rng)
        stream.storylines[case.reference] = storyline
        per_case.append(c)

    # Interleave the cases as an agency's system emits them: by time.
    ordered = sorted(
        (e for c in per_case for e in c.events),
        key=lambda e: datetime.fromisoformat(e["occurred_at"]),
    )
    late: list[dict[str, Any]] = []
    for c in per_case:
        story = stream.storylines[c.case.reference]
        if story == "paid":  # the closing before the payment it follows
            payment, closing = c.events[-2], c.events[-1]
            i, j = ordered.index(payment), ordered.index(closing)
            ordered[i], ordered[j] = ordered[j], ordered[i]
        elif story == "message" and len(c.events) > 1:  # an event held back: posted last
            held = c.events[1]
            ordered.remove(held)
            late.append(held)
    ordered.extend(late)
    # Retries: a few events posted again, unchanged.
    repeats = [e for e in ordered if rng.random() < 0.1] or ordered[:1]

    batch: list[dict[str, Any]] = []
    for event in ordered:
        batch.append(event)
        if len(batch) >= batch_size:
            stream.postings.append(Posting(tuple(batch), batch=True))
            batch = []
    if batch:
        stream.postings.append(Posting(tuple(batch), batch=True))
    # The retries go one by one, as a webhook-style sender does after a lost answer.
    stream.postings.extend(Posting((e,), batch=False) for e in repeats)
    return stream


def payment_after_recall(
    case: AgencyCase,
    recalled_at: datetime,
    agency: str = "SIM",
    amount: Decimal | None = None,
    delay: timedelta = timedelta(hours=2),
) -> dict[str, Any]:
    """A payment the debtor made after claimbridge recalled the case (the agency had not read
    the recall yet): claimbridge records it and flags the case for attention."""
    paid = amount if amount is not None else min(Decimal("50.00"), case.total)
    paid = paid.quantize(unit(case.currency), ROUND_HALF_UP)
    return {
        "event_id": f"{agency}-{case.reference}-after-recall",
        "case_reference": case.reference,
        "kind": "payment",
        "occurred_at": (recalled_at + delay).isoformat(),
        "amount": _money(paid, case.currency),
        "principal": _money(paid, case.currency),
        "commission": _money(paid * COMMISSION, case.currency),
        "currency": case.currency,
        "note": "debtor paid after the recall",
    }
