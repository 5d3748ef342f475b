"""Policies on the sample data (gateway.sample.data, as of 2026-11-20): grouping, other overdue
items joining a case, routing, agency limits, approval by one or two people, claims, versions,
dry runs and explanations."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.domain import EventKind
from gateway.pipeline import Step, run_cycle
from gateway.pipeline.cases.decisions import Decision, DecisionRefused, approval_status, decide
from gateway.pipeline.select.dry_run import dry_run
from gateway.pipeline.select.explain import explain_item, parse_item_key
from gateway.storage.database import Store
from gateway.storage.models import CaseEventRow, CaseRow, PolicyVersionRow, SelectionRunRow
from tests.conftest import TODAY, Workspace
from tests.integration.helpers import counts
from tests.integration.policy_setup import STANDARD, set_policies

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def select_now(workspace: Workspace, store: Store, days_later: int = 0) -> None:
    context = workspace.context(store, TODAY + timedelta(days=days_later))
    summary = run_cycle(context, (Step.EXTRACT, Step.SELECT))
    assert not summary.failed, summary.errors


def cases(store: Store) -> dict[str, CaseRow]:
    with store.unit_of_work(read_only=True) as session:
        return {c.debtor_number + "/" + c.currency: c for c in session.scalars(select(CaseRow))}


def test_other_overdue_items_join_and_the_minimum_case_total_applies(
    workspace: Workspace, store: Store
) -> None:
    set_policies(
        workspace,
        """\
  standard:
    agency: acme
    criteria:
      - dunning_level: {at_least: 3}
      - days_overdue: {at_least: 30}
      - open_amount: {at_least: "50.00"}
    grouping:
      min_case_total: {EUR: "250.00"}
      add_other_overdue_items: true
      other_items_criteria:
        - disputed: false
""",
    )
    select_now(workspace, store)
    made = cases(store)
    # GBP and USD: the minimum names only EUR, so no case; 100512 (218.90) and 101689
    # (240.00) stay below 250.00.
    assert sorted(made) == ["100231/EUR", "100487/EUR", "100733/EUR", "101250/EUR", "101502/EUR"]
    # 101250: 905.00 is selected (no criterion on blocks here); its overdue 1780.00 and 66.60
    # (dunning level 2) join. 101502: the disputed 1320.00 is selected, and 2200.00 and 540.00
    # (12 and 20 days overdue) join. The credit of 100231 never joins; nor 101689's item that
    # is not yet due.
    assert made["101250/EUR"].handed_over_minor == 90500 + 178000 + 6660
    assert made["101502/EUR"].handed_over_minor == 132000 + 220000 + 54000
    assert made["100231/EUR"].handed_over_minor == 125000 + 98040


def test_routing_and_agency_limits_per_run(workspace: Workspace, store: Store) -> None:
    set_policies(
        workspace,
        STANDARD
        + """\
    routing:
      - agency: acme-fr
        when: {country: FR}
    limits:
      acme: {max_cases: 3}
""",
        second_agency=True,
    )
    select_now(workspace, store)
    made = cases(store)
    assert {k: c.agency for k, c in made.items()} == {
        "100487/EUR": "acme-fr",  # Lyon
        # acme takes its 3 largest: 7743.05 EUR, 3400.00 GBP, 2230.40 EUR
        "100733/EUR": "acme",
        "101377/GBP": "acme",
        "100231/EUR": "acme",
    }
    # The cases held back are made by the next run, whose limit starts afresh.
    select_now(workspace, store)
    assert sorted(k for k, c in cases(store).items() if k not in made) == [
        "100512/EUR",
        "101377/USD",
        "101689/EUR",
    ]


def test_an_amount_limit_holds_back_what_does_not_fit(workspace: Workspace, store: Store) -> None:
    set_policies(workspace, STANDARD + '    limits:\n      acme: {max_amount: {EUR: "5000.00"}}\n')
    run_cycle(workspace.context(store), (Step.EXTRACT,))
    run = dry_run(workspace.context(store), "standard")
    held = [c.group.debtor_number for c in run.plan.held_back]
    assert held == ["100733"]  # 7743.05 EUR alone passes 5000.00; the smaller ones fit
    assert sum(c.group.total_minor for c in run.plan.cases if c.group.currency == "EUR") <= 500000


def decide_as(
    workspace: Workspace, store: Store, reference: str, kind: EventKind, who: str, reason: str = ""
) -> object:
    with store.unit_of_work() as session:
        case = session.scalars(select(CaseRow).where(CaseRow.reference == reference)).one()
        return decide(
            session,
            case,
            Decision(kind, f"{who}:{kind.value}:{NOW.timestamp()}", NOW, who, reason),
            workspace.context(store).writeback_rules,
        )


def test_a_large_case_needs_two_different_people(workspace: Workspace, store: Store) -> None:
    set_policies(
        workspace,
        STANDARD + '    approval: {mode: manual, second_approval_above: "1000.00"}\n',
    )
    select_now(workspace, store)
    made = cases(store)
    assert {k: c.approvals_required for k, c in made.items()} == {
        "100231/EUR": 2,
        "100487/EUR": 1,
        "100512/EUR": 1,
        "100733/EUR": 2,
        "101377/GBP": 2,
        "101377/USD": 2,
        "101689/EUR": 1,
    }
    large, small = made["100231/EUR"].reference, made["100487/EUR"].reference
    decide_as(workspace, store, large, EventKind.APPROVED, "alice", "checked")
    assert cases(store)["100231/EUR"].state == "selected"
    with pytest.raises(DecisionRefused, match="already approved by Alice: the second approval"):
        decide_as(workspace, store, large, EventKind.APPROVED, "Alice")
    with pytest.raises(DecisionRefused, match="a hold needs a reason"):
        decide_as(workspace, store, small, EventKind.HELD, "bob")
    decide_as(workspace, store, large, EventKind.APPROVED, "bob")
    decide_as(workspace, store, small, EventKind.APPROVED, "carol")
    with store.unit_of_work(read_only=True) as session:
        row = session.scalars(select(CaseRow).where(CaseRow.reference == large)).one()
        assert approval_status(session, row).approvers == ("alice", "bob")
        notes = [
            e.note
            for e in session.scalars(select(CaseEventRow).where(CaseEventRow.case_id == row.id))
        ]
    assert any("approval 1 of 2 by alice: checked" in n for n in notes)
    summary = run_cycle(workspace.context(store), (Step.HANDOVER,))
    assert [h.cases for h in summary.handover] == [2]
    states = {k: c.state for k, c in cases(store).items()}
    assert states["100231/EUR"] == states["100487/EUR"] == "submitted"
    assert states["100733/EUR"] == "selected"


def read_handover(location: str) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(Path(location).read_text(encoding="utf-8").splitlines())
    return {r["case_reference"]: r for r in rows}


def test_claims_are_stored_on_the_case_and_brought_up_to_the_handover(
    workspace: Workspace, store: Store
) -> None:
    set_policies(
        workspace,
        STANDARD
        + """\
    approval: manual
    claims:
      law: {"1000": de, "2000": fr}
      reminder_fee: {EUR: "2.50"}
""",
        rates=True,
    )
    select_now(workspace, store)
    case = cases(store)["100231/EUR"]
    # German law, business debtor, test rate for 2026-H2: 1.00 + 9 = 10 %, act/365.
    # 1250.00 due 2026-08-17: 95 days → 32.534… → 32.53; 980.40 due 2026-09-17: 64 days
    # → 17.190… → 17.19. Fees: 2 × EUR 40 and 2 × 3 reminders × 2.50.
    assert (case.interest_claimed_minor, case.fees_claimed_minor) == (4972, 8000 + 1500)
    assert case.claims_as_of == TODAY
    person = cases(store)["100512/EUR"]  # a consumer: base + 5 = 6 %, no flat fee
    # 89.90 due 2026-07-23 (120 days): 1.773… → 1.77; 129.00 due 2026-10-06 (45 days): 0.954…
    # → 0.95
    assert (person.interest_claimed_minor, person.fees_claimed_minor) == (272, 1500)

    decide_as(workspace, store, case.reference, EventKind.APPROVED, "alice")
    later = workspace.context(store, TODAY + timedelta(days=10))
    (handover,) = run_cycle(later, (Step.HANDOVER,)).handover
    # Ten days later: 105 days → 35.958… → 35.96; 74 days → 19.876… → 19.88.
    line = read_handover(handover.location)[case.reference]
    assert (line["case_interest"], line["case_fees"]) == ("55.84", "95.00")
    refreshed = cases(store)["100231/EUR"]
    assert refreshed.interest_claimed_minor == 5584
    assert refreshed.claims_as_of == TODAY + timedelta(days=10)


def test_each_policy_version_is_kept_once_and_recorded_on_its_cases(
    workspace: Workspace, store: Store
) -> None:
    set_policies(workspace, STANDARD)
    select_now(workspace, store)
    select_now(workspace, store)  # nothing new, same version
    set_policies(workspace, STANDARD.replace("at_least: 30", "at_least: 10"))
    select_now(workspace, store)
    with store.unit_of_work(read_only=True) as session:
        versions = list(session.scalars(select(PolicyVersionRow).order_by(PolicyVersionRow.id)))
        runs = int(session.scalar(select(func.count()).select_from(SelectionRunRow)) or 0)
        by_version = dict(
            session.execute(
                select(CaseRow.policy_version_id, func.count()).group_by(CaseRow.policy_version_id)
            ).all()
        )
    assert len(versions) == 2 and runs == 3
    first, second = versions
    assert '"at_least":30' in first.definition and '"at_least":10' in second.definition
    assert by_version == {first.id: 7, second.id: 1}  # 101502's 2200.00 (12 days) and 540.00


def test_a_dry_run_changes_nothing_and_tells_what_changed(
    workspace: Workspace, store: Store
) -> None:
    set_policies(workspace, STANDARD)
    select_now(workspace, store)
    before = counts(store)
    set_policies(workspace, STANDARD.replace("at_least: 30", "at_least: 10"))
    run = dry_run(workspace.context(store), "standard")
    assert counts(store) == before
    assert not run.version_known
    assert [(c.key, c.before, c.after) for c in run.changes] == [
        ("criteria[1].days_overdue.at_least", 30, 10)
    ]
    assert run.last_run is not None and run.last_run.cases == 7
    assert [(c.group.debtor_number, c.group.items) for c in run.plan.cases] == [("101502", 2)]


def test_explanations_say_why(workspace: Workspace, store: Store) -> None:
    set_policies(workspace, STANDARD + '    grouping: {min_case_total: "230.00"}\n')
    run_cycle(workspace.context(store), (Step.EXTRACT,))
    policy = workspace.config().policy("standard")
    rates = workspace.config().rates

    def explain(key: str) -> object:
        with store.unit_of_work(read_only=True) as session:
            return explain_item(session, policy, TODAY, parse_item_key(key), rates)

    level = explain("erp:2000/1800001011/2026/001")  # 310.00, dunning level 1
    assert level.status == "not selected"  # type: ignore[attr-defined]
    failed = [v for v in level.verdicts if not v.passed]  # type: ignore[attr-defined]
    assert [(v.label, v.value, v.threshold) for v in failed] == [("dunning level ≥ 3", "1", "≥ 3")]
    chosen = explain("erp:1000/1800001000/2026/001")
    assert chosen.status == "selected: a case of 2 items, 2230.40 EUR, to acme"  # type: ignore[attr-defined]
    small = explain("erp:1000/1800001003/2026/001")  # 100512: 218.90 in all
    assert "218.90 EUR: below the minimum case total" in small.status  # type: ignore[attr-defined]
    missing = explain("erp:1000/999/2026/001")
    assert missing.facts is None and "no such item" in missing.status  # type: ignore[attr-defined]
    run_cycle(workspace.context(store), (Step.SELECT,))
    again = explain("erp:1000/1800001000/2026/001")
    assert again.status.startswith("already in case CB-0000001 (approved)")  # type: ignore[attr-defined]
