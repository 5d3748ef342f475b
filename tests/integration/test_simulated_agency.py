"""The simulated agency's event streams: deterministic, realistic, and acceptable to
claimbridge's checks; applied to real cases they end where the storylines say."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from gateway.domain.events import EventKind
from gateway.domain.money import minor_to_decimal
from gateway.pipeline import run_cycle
from gateway.pipeline.cases.decisions import Decision, decide
from gateway.pipeline.cases.updates import CaseUpdater
from gateway.pipeline.returns.events import agency_event
from gateway.storage.database import Store
from gateway.storage.models import CaseRow
from gateway.storage.repositories.cases import CaseRepository
from simulators.agency import AgencyCase, event_stream, payment_after_recall
from tests.conftest import Workspace

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CASES = [AgencyCase(f"CB-{i:07d}", "EUR", Decimal("1000.00") + i) for i in range(1, 31)]


def canonical(event: dict[str, Any]) -> dict[str, Any]:
    """An API event as the canonical values agency_event takes (what the API parses)."""
    values: dict[str, Any] = dict(event)
    values["occurred_at"] = datetime.fromisoformat(event["occurred_at"])
    for name in ("amount", "principal", "interest", "fees", "commission"):
        if name in values:
            values[name] = Decimal(values[name])
    return values


def test_the_stream_is_deterministic_under_its_seed() -> None:
    assert (
        event_stream(CASES, START, seed=3).postings == event_stream(CASES, START, seed=3).postings
    )
    assert (
        event_stream(CASES, START, seed=3).postings != event_stream(CASES, START, seed=4).postings
    )


def test_the_stream_has_what_real_agencies_send_and_every_event_passes_the_checks() -> None:
    stream = event_stream(CASES, START, seed=11)
    kinds = Counter(e["kind"] for e in stream.distinct.values())
    for kind in (
        "accepted",
        "rejected",
        "in_progress",
        "payment_plan",
        "disputed",
        "paid",
        "uncollectible",
        "message",
        "payment",
        "payment_reversal",
    ):
        assert kinds[kind], f"no {kind} event"
    events = stream.events
    assert len(events) > len(stream.distinct), "some events are posted twice"
    assert any(not p.batch for p in stream.postings) and any(p.batch for p in stream.postings)
    # out of order: some event is posted after a later-dated event of the same case
    posted: dict[str, datetime] = {}
    out_of_order = 0
    for event in events:
        at = datetime.fromisoformat(event["occurred_at"])
        last = posted.get(event["case_reference"], at)
        out_of_order += at < last
        posted[event["case_reference"]] = max(last, at)
    assert out_of_order >= 2
    for event in stream.distinct.values():
        checked = agency_event(canonical(event), "EUR")  # raises RecordError if it does not fit
        if event["kind"] == "payment":
            assert checked.principal > 0 and checked.commission > 0
            assert checked.amount == checked.principal + checked.interest + checked.fees


def test_applied_to_handed_over_cases_the_stream_ends_where_its_storylines_say(
    workspace: Workspace, store: Store
) -> None:
    ctx = workspace.context(store)
    assert not run_cycle(ctx).failed
    with store.unit_of_work(read_only=True) as session:
        rows = session.scalars(select(CaseRow).order_by(CaseRow.id)).all()
        cases = [
            AgencyCase(r.reference, r.currency, minor_to_decimal(r.handed_over_minor, r.currency))
            for r in rows
        ]
    stream = event_stream(cases, START, seed=5)
    duplicates = 0
    with store.unit_of_work() as session:
        updater = CaseUpdater(session, ctx.writeback_rules, datetime.now(UTC))
        repo = CaseRepository(session)
        for event in stream.events:
            case = repo.by_reference(event["case_reference"])
            assert case is not None
            duplicates += updater.apply(
                case, agency_event(canonical(event), case.currency)
            ).duplicate
    assert duplicates == len(stream.events) - len(stream.distinct)

    expected = {
        "paid": "closed_paid",
        "plan": "payment_plan",
        "reversal": "in_progress",
        "message": "in_progress",
        "dispute": "disputed",
        "rejected": "rejected",
    }
    with store.unit_of_work() as session:
        repo = CaseRepository(session)
        for reference, story in stream.storylines.items():
            case = repo.by_reference(reference)
            assert case is not None
            if story in expected:
                assert case.state == expected[story], (reference, story)
            if story == "paid":
                assert case.collected_principal_minor == case.handed_over_minor
                assert case.collected_interest_minor > 0 and case.commission_minor > 0
            if story == "reversal":
                assert case.collected_principal_minor == 0
            if story == "uncollectible":
                assert case.state.startswith("closed_") and case.collected_principal_minor > 0

        # a recall, then the payment the agency reports for before it read the recall
        recalled = next(r for r, s in stream.storylines.items() if s == "message")
        case = repo.by_reference(recalled)
        assert case is not None
        at = datetime.now(UTC)
        decide(
            session,
            case,
            Decision(EventKind.RECALL, "recall-1", at, "test"),
            dict(ctx.writeback_rules),
        )
        assert case.state == "recalled"
        late = payment_after_recall(
            AgencyCase(case.reference, case.currency, Decimal(1)), at, amount=Decimal("25.00")
        )
        updater = CaseUpdater(session, ctx.writeback_rules, datetime.now(UTC))
        applied = updater.apply(case, agency_event(canonical(late), case.currency))
        assert not applied.duplicate and case.needs_attention
        assert case.collected_principal_minor == 2500
