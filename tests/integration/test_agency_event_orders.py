"""Property: however an agency's events arrive — in any order, some twice, in batches or one
by one — a case ends in the same state with the same amounts, and the ERP receives the same
write-back, each action exactly once (the outbox relay runs between deliveries with a
recording write-back)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from connectors.base import Delivery, DeliveryBatch, WriteBackResult
from gateway.domain.actions import ActionKind, WriteBackAction
from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.pipeline import RunContext
from gateway.pipeline.cases.updates import CaseUpdater
from gateway.pipeline.relay.outbox import deliver_writeback
from gateway.storage.database import Store
from gateway.storage.models import CaseRow, OutboxMessageRow
from gateway.storage.repositories.cases import CaseRepository
from tests.conftest import Workspace
from tests.integration.agency_api_setup import (
    AgencyClient,
    agency_client,
    api_agencies,
    handed_over,
)


def stream(terminal: str) -> list[dict[str, Any]]:
    """A realistic life of a case at the agency, in the order it happened."""
    return [
        {"id": "acc", "kind": "accepted", "occurred_at": "2026-11-20T09:00:00Z"},
        {"id": "wip", "kind": "in_progress", "occurred_at": "2026-11-21T09:00:00Z"},
        {
            "id": "pay1",
            "kind": "payment",
            "occurred_at": "2026-11-22T09:00:00Z",
            "amount": "500.00",
            "principal": "450.00",
            "interest": "40.00",
            "fees": "10.00",
            "commission": "50.00",
        },
        {
            "id": "pay2",
            "kind": "payment",
            "occurred_at": "2026-11-23T09:00:00Z",
            "amount": "300.00",
        },
        {
            "id": "rev2",
            "kind": "payment_reversal",
            "occurred_at": "2026-11-24T09:00:00Z",
            "amount": "300.00",
            "note": "the debtor's bank returned the transfer",
        },
        {
            "id": "msg",
            "kind": "message",
            "occurred_at": "2026-11-24T12:00:00Z",
            "note": "debtor promises the rest",
        },
        {"id": "end", "kind": terminal, "occurred_at": "2026-11-25T09:00:00Z"},
        {"id": "late", "kind": "in_progress", "occurred_at": "2026-11-26T09:00:00Z"},
    ]


@dataclass
class RecordingWriteBack:
    """An ERP that remembers every action it was given, in delivery order."""

    applied: list[WriteBackAction] = field(default_factory=list)

    def apply(
        self, actions: Sequence[WriteBackAction], batch: DeliveryBatch | None = None
    ) -> WriteBackResult:
        self.applied.extend(actions)
        return WriteBackResult(Delivery("memory", "recording", len(actions)))


@dataclass(frozen=True)
class Outcome:
    state: str
    amounts: tuple[int, ...]
    needs_attention: bool
    posted: dict[str, tuple[int, int, int, int]]  # item → net principal, interest, fees, comm.
    notes: Counter[tuple[str, str]]
    last_status: dict[str, str]
    blocks: Counter[tuple[str, str]]


def fresh_case(workspace: Workspace, store: Store) -> str:
    """A new submitted case on the items of CB-0000001 (each example gets its own)."""
    now = datetime.now(UTC)
    rules = workspace.context(store).writeback_rules
    with store.unit_of_work() as session:
        repo = CaseRepository(session)
        base = repo.by_reference("CB-0000001")
        assert base is not None
        items = [(ci.item_id, ci.handed_over_minor) for ci, _ in repo.items(base.id)]
        case = repo.create(
            agency="acme",
            source=base.source,
            debtor_number=base.debtor_number,
            currency=base.currency,
            policy=base.policy,
            items=items,
            reference_prefix="PT",
            now=now,
        )
        updater = CaseUpdater(session, rules, now)
        for kind, origin in (
            (EventKind.APPROVED, EventOrigin.CREDITOR),
            (EventKind.SUBMITTED, EventOrigin.GATEWAY),
        ):
            updater.apply(case, CaseEvent(kind, origin, f"{kind.value}:{case.reference}", now))
        assert case.state == "submitted"
        return case.reference


def outcome(store: Store, reference: str, erp: RecordingWriteBack) -> Outcome:
    with store.unit_of_work(read_only=True) as session:
        case = session.scalars(select(CaseRow).where(CaseRow.reference == reference)).one()
        pending = session.scalars(
            select(OutboxMessageRow).where(
                OutboxMessageRow.kind == "erp_action",
                OutboxMessageRow.status != "delivered",
                OutboxMessageRow.payload["case_reference"].as_string() == reference,
            )
        ).all()
    assert not pending, "every write-back action of the case is delivered"
    mine = [a for a in erp.applied if a.case_reference == reference]
    ids = Counter(a.action_id for a in mine)
    assert all(n == 1 for n in ids.values()), f"delivered twice: {ids.most_common(3)}"
    posted: dict[str, tuple[int, int, int, int]] = {}
    notes: Counter[tuple[str, str]] = Counter()
    last_status: dict[str, str] = {}
    blocks: Counter[tuple[str, str]] = Counter()
    for action in mine:
        item = f"{action.item.document_number}/{action.item.line_item}"
        if action.kind is ActionKind.POST_PAYMENT:
            p, i, f, c = posted.get(item, (0, 0, 0, 0))
            posted[item] = (
                p + action.amount,
                i + action.interest,
                f + action.fees,
                c + action.commission,
            )
        elif action.kind is ActionKind.ADD_NOTE:
            notes[(item, action.text.replace(reference, "<case>"))] += 1
        elif action.kind is ActionKind.RECORD_STATUS:
            last_status[item] = action.status
        else:
            blocks[(item, action.kind.value)] += 1
    return Outcome(
        state=case.state,
        amounts=(
            case.collected_principal_minor,
            case.collected_interest_minor,
            case.collected_fees_minor,
            case.commission_minor,
            case.paid_directly_minor,
            case.written_off_minor,
        ),
        needs_attention=case.needs_attention,
        posted=posted,
        notes=notes,
        last_status=last_status,
        blocks=blocks,
    )


@dataclass
class Setup:
    workspace: Workspace
    store: Store
    client: AgencyClient
    erp: RecordingWriteBack
    context: RunContext
    references: dict[str, Outcome] = field(default_factory=dict)

    def relay(self) -> None:
        result = deliver_writeback(self.context, "erp")
        assert result.failed == 0, result.error

    def post(self, reference: str, events: list[dict[str, Any]], as_batch: bool) -> None:
        payloads = [
            {
                "event_id": f"{reference}:{e['id']}",
                "case_reference": reference,
                **{k: v for k, v in e.items() if k != "id"},
            }
            for e in events
        ]
        if as_batch:
            response = self.client.post("/events/batch", {"events": payloads})
            assert response.status_code == 200, response.text
            assert response.json()["rejected"] == 0
        else:
            for payload in payloads:
                response = self.client.post("/events", payload)
                assert response.status_code in (200, 201), response.text

    def reference(self, terminal: str) -> Outcome:
        """The outcome of the events sent once each, in the order they happened."""
        if terminal not in self.references:
            case = fresh_case(self.workspace, self.store)
            self.post(case, stream(terminal), as_batch=False)
            self.relay()
            self.references[terminal] = outcome(self.store, case, self.erp)
        return self.references[terminal]


@pytest.fixture
def setup(workspace: Workspace, store: Store) -> Setup:
    # No throttling: the 40 examples post hundreds of requests within seconds, through one app.
    api_agencies(workspace, acme_api="      rate_limit: 1000000\n      burst: 1000000\n")
    handed_over(workspace, store)
    erp = RecordingWriteBack()
    context = workspace.context(store)
    # The configuration's CSV write-back replaced by the recording one, for this context only.
    object.__setattr__(context.config, "open_writeback", lambda _name: erp)
    return Setup(workspace, store, agency_client(workspace, store), erp, context)


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[str, list[tuple[list[int], bool, bool]]]:
    """A terminal kind, and the events as the agency sends them: a permutation with some
    repeated, cut into requests (batch or single POSTs), the relay running after some."""
    terminal = draw(st.sampled_from(["paid", "uncollectible"]))
    order = draw(st.permutations(range(8)))
    repeats = draw(st.lists(st.integers(0, 7), max_size=6))
    sent = list(order)
    for n, index in enumerate(repeats):
        sent.insert(draw(st.integers(0, len(sent))), index if n % 2 else sent[-1 - n % len(sent)])
    cuts = sorted(set(draw(st.lists(st.integers(1, len(sent) - 1), max_size=4))))
    chunks = [sent[a:b] for a, b in zip([0, *cuts], [*cuts, len(sent)], strict=True)]
    return terminal, [(chunk, draw(st.booleans()), draw(st.booleans())) for chunk in chunks]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=deliveries())
def test_any_arrival_order_ends_in_the_same_case_and_erp_state(
    setup: Setup, plan: tuple[str, list[tuple[list[int], bool, bool]]]
) -> None:
    terminal, chunks = plan
    expected = setup.reference(terminal)
    events = stream(terminal)
    case = fresh_case(setup.workspace, setup.store)
    for indices, as_batch, relay_after in chunks:
        setup.post(case, [events[i] for i in indices], as_batch)
        if relay_after:
            setup.relay()
    setup.relay()
    got = outcome(setup.store, case, setup.erp)
    assert got.state == expected.state
    assert got.amounts == expected.amounts
    assert got.needs_attention == expected.needs_attention
    assert got.posted == expected.posted
    assert got.notes == expected.notes
    assert got.last_status == expected.last_status
    assert got.blocks == expected.blocks


def test_the_reference_stream_itself(setup: Setup) -> None:
    """What the property compares against is what accounting expects of this stream."""
    paid = setup.reference("paid")
    assert paid.state == "closed_paid"
    assert paid.amounts[:4] == (45_000, 4_000, 1_000, 5_000)
    assert paid.needs_attention  # the event after close is flagged
    assert sum(p[0] for p in paid.posted.values()) == 45_000
    assert set(paid.last_status.values()) == {"closed_paid"}
    unpaid = setup.reference("uncollectible")
    # something was collected: the agency's "uncollectible" closes it as partially paid
    assert unpaid.state == "closed_partially_paid"
    assert unpaid.amounts[5] == 223_040 - 45_000  # the rest written off
