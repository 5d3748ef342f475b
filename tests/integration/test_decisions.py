"""Accounting's decisions: approve, hold, recall; each once, each in a state that allows it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from gateway.domain import EventKind
from gateway.pipeline import Step, run_cycle
from gateway.pipeline.cases.decisions import Decision, DecisionRefused, decide
from gateway.storage.database import Store
from gateway.storage.models import CaseEventRow, CaseRow, OutboxMessageRow
from gateway.storage.repositories.policies import ApprovalRepository
from tests.conftest import Workspace

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def case(store: Store, reference: str) -> CaseRow:
    with store.unit_of_work(read_only=True) as session:
        return session.scalars(select(CaseRow).where(CaseRow.reference == reference)).one()


def act(
    workspace: Workspace, store: Store, reference: str, kind: EventKind, decision_id: str
) -> object:
    context = workspace.context(store)
    with store.unit_of_work() as session:
        row = session.scalars(select(CaseRow).where(CaseRow.reference == reference)).one()
        return decide(
            session,
            row,
            Decision(kind, decision_id, NOW, "alice", "checked"),
            context.writeback_rules,
        )


def test_manual_approval_then_handover(workspace: Workspace, store: Store) -> None:
    workspace.config_path.write_text(
        workspace.config_path.read_text().replace("approval: automatic", "approval: manual")
    )
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT, Step.HANDOVER))
    assert case(store, "CB-0000001").state == "selected"
    act(workspace, store, "CB-0000001", EventKind.APPROVED, "d1")
    act(workspace, store, "CB-0000002", EventKind.HELD, "d2")
    summary = run_cycle(workspace.context(store), (Step.HANDOVER,))
    assert [h.cases for h in summary.handover] == [1]
    assert case(store, "CB-0000001").state == "submitted"
    assert case(store, "CB-0000002").state == "on_hold"


def test_a_recall_at_the_agency_notifies_it_and_gives_the_items_back_to_dunning(
    workspace: Workspace, store: Store
) -> None:
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT, Step.HANDOVER))
    applied = act(workspace, store, "CB-0000001", EventKind.RECALL, "r1")
    assert applied.notices == 1  # type: ignore[attr-defined]
    assert case(store, "CB-0000001").state == "recalled"
    with store.unit_of_work(read_only=True) as session:
        kinds = [
            m.payload["kind"]
            for m in session.scalars(select(OutboxMessageRow))
            if m.message_key.startswith("CB-0000001:creditor:r1")
        ]
    assert sorted(kinds) == [
        "clear_dunning_block",
        "clear_dunning_block",
        "record_status",
        "record_status",
    ]
    again = act(workspace, store, "CB-0000001", EventKind.RECALL, "r1")
    assert again.duplicate  # type: ignore[attr-defined]


def test_the_agency_is_told_accounting_recalled_never_who(
    workspace: Workspace, store: Store
) -> None:
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT, Step.HANDOVER))
    act(workspace, store, "CB-0000001", EventKind.RECALL, "r1")
    with store.unit_of_work(read_only=True) as session:
        (event,) = [e.note for e in session.scalars(select(CaseEventRow)) if e.kind == "recall"]
    assert event == "recall by alice: checked"  # the history keeps who decided
    before = set(workspace.folder.rglob("*"))
    summary = run_cycle(workspace.context(store), (Step.NOTICES,))
    assert [n.delivered for n in summary.notices] == [1], summary
    sent = [p for p in set(workspace.folder.rglob("*")) - before if p.is_file()]
    assert sent, "no notice file written"
    text = "".join(p.read_text(encoding="utf-8") for p in sent)
    assert "CB-0000001" in text and "recall by accounting: checked" in text
    assert "alice" not in text


def test_a_decision_that_does_not_fit_the_state_is_refused(
    workspace: Workspace, store: Store
) -> None:
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT, Step.HANDOVER))
    with pytest.raises(DecisionRefused, match="CB-0000001 is submitted: it cannot be approved"):
        act(workspace, store, "CB-0000001", EventKind.APPROVED, "late")


def test_an_approval_the_old_command_line_recorded_is_its_user_s(
    workspace: Workspace, store: Store
) -> None:
    """Before tokens, the command line recorded "alice (cli)": alice cannot add a second
    approval to it through the API or the console."""
    workspace.config_path.write_text(
        workspace.config_path.read_text().replace(
            "approval: automatic", 'approval: {mode: manual, second_approval_above: "0.00"}'
        )
    )
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT))
    with store.unit_of_work() as session:
        row = session.scalars(select(CaseRow).where(CaseRow.reference == "CB-0000001")).one()
        ApprovalRepository(session).add(row.id, "cli:old", "alice (cli)", NOW)
    with pytest.raises(DecisionRefused, match="already approved by alice"):
        act(workspace, store, "CB-0000001", EventKind.APPROVED, "api:alice:1")
    assert case(store, "CB-0000001").state == "selected"
