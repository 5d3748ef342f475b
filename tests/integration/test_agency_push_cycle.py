"""A push agency in the full cycle: cases pushed at handover, recalls relayed through the
outbox, and one notice the agency refuses does not hold back the others."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from gateway.domain.events import EventKind
from gateway.pipeline import Step, run_cycle
from gateway.pipeline.cases.decisions import Decision, decide
from gateway.storage.database import Store
from gateway.storage.models import HandoverBatchRow, OutboxMessageRow, TransferRow
from gateway.storage.repositories.cases import CaseRepository
from gateway.storage.repositories.outbox import AGENCY_NOTICE
from simulators.agency import SimulatedAgency, agency_app, served
from tests.conftest import Workspace

KEY = "cycle-agency-key-77"


@pytest.fixture
def agency(monkeypatch: pytest.MonkeyPatch) -> SimulatedAgency:
    monkeypatch.setenv("ACME_TOKEN", KEY)
    return SimulatedAgency(api_key=KEY)


@pytest.fixture
def pushing(workspace: Workspace, agency: SimulatedAgency) -> Iterator[Workspace]:
    with served(agency_app(agency)) as url:
        text = workspace.config_path.read_text(encoding="utf-8")
        start = text.index("    channel: files")
        end = text.index("policies:")
        section = (
            "    channel: rest-push\n    options:\n"
            f"      base_url: {url}\n      auth: {{kind: bearer, token: !env ACME_TOKEN}}\n\n"
        )
        workspace.config_path.write_text(text[:start] + section + text[end:], encoding="utf-8")
        yield workspace


def recall(workspace: Workspace, store: Store, reference: str) -> None:
    ctx = workspace.context(store)
    with store.unit_of_work() as session:
        case = CaseRepository(session).by_reference(reference)
        assert case is not None
        decision = Decision(EventKind.RECALL, f"r-{reference}", datetime.now(UTC), "test")
        decide(session, case, decision, dict(ctx.writeback_rules))


def test_cases_are_pushed_at_handover_and_a_refused_notice_is_a_dead_letter_alone(
    pushing: Workspace, store: Store, agency: SimulatedAgency
) -> None:
    summary = run_cycle(pushing.context(store))
    assert not summary.failed, summary.errors
    assert sorted(agency.cases) == [f"CB-{i:07d}" for i in range(1, 8)]
    with store.unit_of_work(read_only=True) as session:
        batch = session.scalars(select(HandoverBatchRow)).one()
        assert batch.status == "delivered"
        transfer = session.get(TransferRow, batch.transfer_id)
        assert transfer is not None and transfer.channel == "rest-push"
        assert transfer.records == 11 and KEY not in transfer.error + transfer.summary

    del agency.cases["CB-0000004"]  # the agency lost one case
    recall(pushing, store, "CB-0000003")
    recall(pushing, store, "CB-0000004")
    again = run_cycle(pushing.context(store), steps=(Step.NOTICES,))
    (relayed,) = again.notices
    assert relayed.delivered == 1 and relayed.failed == 1 and relayed.dead == 1
    assert agency.cases["CB-0000003"]["recalled"] is True
    with store.unit_of_work(read_only=True) as session:
        rows = session.scalars(
            select(OutboxMessageRow)
            .where(OutboxMessageRow.kind == AGENCY_NOTICE)
            .order_by(OutboxMessageRow.id)
        ).all()
        assert [r.status for r in rows] == ["delivered", "dead"]
        assert "HTTP 404" in rows[1].last_error and "unknown case CB-0000004" in rows[1].last_error


def test_an_agency_down_at_handover_leaves_the_batch_pending_for_the_next_run(
    pushing: Workspace, store: Store, agency: SimulatedAgency
) -> None:
    agency.fail_next(1, status=503)
    first = run_cycle(pushing.context(store), steps=(Step.EXTRACT, Step.SELECT, Step.HANDOVER))
    (handover,) = first.handover
    assert handover.status == "failed" and "HTTP 503" in handover.error
    second = run_cycle(pushing.context(store), steps=(Step.HANDOVER,))
    assert [h.status for h in second.handover] == ["delivered"]
    assert len(agency.cases) == 7
