"""Signed webhooks to an agency: enqueued with the change, relayed with backoff, verified by
the simulated agency over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from gateway.config import ConfigError
from gateway.domain.events import EventKind
from gateway.pipeline import Step, run_cycle
from gateway.pipeline.cases.decisions import Decision, decide
from gateway.pipeline.cases.updates import recall_notice_id
from gateway.pipeline.cases.webhooks import AGENCY_WEBHOOK
from gateway.pipeline.relay.webhooks import deliver_webhooks
from gateway.storage.database import Store
from gateway.storage.models import OutboxMessageRow, TransferRow
from gateway.storage.repositories.cases import CaseRepository
from gateway.storage.repositories.outbox import RetryPolicy
from gateway.webhook_signatures import new_secret
from simulators.agency import SimulatedAgency, agency_app, free_port, served
from tests.conftest import Workspace

SECRET = new_secret()


def subscribe(
    workspace: Workspace, url: str, events: str = "[case.available, notice.created]"
) -> None:
    """Give the sample agency a `webhooks` section."""
    text = workspace.config_path.read_text(encoding="utf-8")
    section = (
        f"    webhooks:\n      url: {url}\n      secret: !env SIM_WEBHOOK_SECRET\n"
        f"      events: {events}\n"
    )
    text = text.replace("    channel: files\n", "    channel: files\n" + section, 1)
    workspace.config_path.write_text(text, encoding="utf-8")


@pytest.fixture
def agency(monkeypatch: pytest.MonkeyPatch) -> SimulatedAgency:
    monkeypatch.setenv("SIM_WEBHOOK_SECRET", SECRET)
    return SimulatedAgency(webhook_secrets=(SECRET,))


@pytest.fixture
def agency_url(agency: SimulatedAgency) -> Iterator[str]:
    with served(agency_app(agency)) as url:
        yield url


def webhook_rows(store: Store) -> list[OutboxMessageRow]:
    with store.unit_of_work(read_only=True) as session:
        rows = session.scalars(
            select(OutboxMessageRow)
            .where(OutboxMessageRow.kind == AGENCY_WEBHOOK)
            .order_by(OutboxMessageRow.id)
        )
        return list(rows)


def test_handed_over_cases_and_recalls_reach_the_agency_signed_and_logged(
    workspace: Workspace, store: Store, agency: SimulatedAgency, agency_url: str
) -> None:
    subscribe(workspace, f"{agency_url}/webhooks")
    ctx = workspace.context(store)
    summary = run_cycle(ctx)
    assert not summary.failed, summary.errors
    (relayed,) = summary.webhooks
    assert relayed.delivered == 7 == sum(r.cases for r in summary.handover)
    assert relayed.failed == 0
    received = list(agency.webhooks.values())
    assert {w["type"] for w in received} == {"case.available"}
    assert sorted(w["data"]["case_reference"] for w in received) == [
        f"CB-{i:07d}" for i in range(1, 8)
    ]
    assert agency.webhooks_refused == 0
    with store.unit_of_work(read_only=True) as session:
        transfer = session.scalars(select(TransferRow).where(TransferRow.kind == "webhooks")).one()
        assert transfer.status == "ok" and transfer.records == 7
        assert transfer.channel == "webhook" and transfer.location == f"{agency_url}/webhooks"
        assert SECRET not in (transfer.error + transfer.summary)

    # a recall: the notice and its webhook are written in the recall's transaction
    with store.unit_of_work() as session:
        case = CaseRepository(session).by_reference("CB-0000003")
        assert case is not None
        decision = Decision(EventKind.RECALL, "r-1", datetime.now(UTC), "carol.jones", "paid to us")
        decide(session, case, decision, dict(ctx.writeback_rules), ctx.webhooks)
    pending = [r for r in webhook_rows(store) if r.status == "pending"]
    assert [r.payload["type"] for r in pending] == ["notice.created"]
    again = run_cycle(ctx, steps=(Step.NOTICES,))
    assert [r.delivered for r in again.webhooks] == [1]
    notice = agency.webhooks[f"wh:notice.created:{recall_notice_id('CB-0000003', 'r-1')}"]
    assert notice["data"]["kind"] == "recall" and notice["data"]["case_reference"] == "CB-0000003"
    assert "carol" not in json.dumps(notice)  # who decided is ours, never the agency's

    # nothing new: nothing sent again
    assert run_cycle(ctx, steps=(Step.NOTICES,)).webhooks[0].delivered == 0
    assert len(agency.webhooks) == 8


def test_an_agency_subscribed_to_notices_only_gets_no_case_webhooks(
    workspace: Workspace, store: Store, agency_url: str
) -> None:
    subscribe(workspace, f"{agency_url}/webhooks", events="[notice.created]")
    assert not run_cycle(workspace.context(store)).failed
    assert webhook_rows(store) == []


def test_an_endpoint_down_is_retried_with_backoff_and_a_refusal_is_a_dead_letter(
    workspace: Workspace, store: Store, agency: SimulatedAgency, agency_url: str
) -> None:
    subscribe(workspace, f"http://127.0.0.1:{free_port()}/webhooks")
    ctx = workspace.context(store)
    summary = run_cycle(ctx)
    (relayed,) = summary.webhooks
    assert relayed.delivered == 0 and relayed.failed == 7 and relayed.dead == 0
    rows = webhook_rows(store)
    assert {r.status for r in rows} == {"pending"} and {r.attempts for r in rows} == {1}
    assert all(r.next_attempt_at > datetime.now(UTC) for r in rows)
    assert "no answer from the endpoint" in rows[0].last_error

    # the endpoint is back, but the agency has another secret: 401, dead at once
    agency.webhook_secrets = (new_secret(),)
    text = workspace.config_path.read_text(encoding="utf-8")
    start = text.index("      url: ") + len("      url: ")
    end = text.index("\n", start)
    text = text[:start] + f"{agency_url}/webhooks" + text[end:]
    workspace.config_path.write_text(text, encoding="utf-8")
    ctx = workspace.context(store)
    with store.unit_of_work() as session:  # the backoff has passed
        for row in session.scalars(select(OutboxMessageRow)):
            row.next_attempt_at = datetime.now(UTC)
    result = deliver_webhooks(ctx, "acme", RetryPolicy(max_attempts=5))
    assert result.dead == 7 and agency.webhooks_refused == 7 and agency.webhooks == {}
    assert {r.status for r in webhook_rows(store)} == {"dead"}
    assert "HTTP 401" in webhook_rows(store)[0].last_error


def test_a_malformed_webhook_secret_is_refused_naming_the_key(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIM_WEBHOOK_SECRET", "not-a-whsec-secret")
    subscribe(workspace, "https://agency.example/hooks")
    with pytest.raises(ConfigError) as caught:
        workspace.config()
    message = str(caught.value)
    assert "agencies.acme.webhooks.secret" in message and "whsec_" in message
    assert "not-a-whsec-secret" not in message


def test_while_the_secret_is_rotated_an_agency_holding_the_old_one_still_verifies(
    workspace: Workspace,
    store: Store,
    agency: SimulatedAgency,
    agency_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SIM_WEBHOOK_SECRET", new_secret())  # the new secret
    monkeypatch.setenv("SIM_OLD_WEBHOOK_SECRET", SECRET)  # the one the agency still holds
    subscribe(workspace, f"{agency_url}/webhooks")
    text = workspace.config_path.read_text(encoding="utf-8")
    text = text.replace(
        "      secret: !env SIM_WEBHOOK_SECRET\n",
        "      secret: !env SIM_WEBHOOK_SECRET\n"
        "      previous_secret: !env SIM_OLD_WEBHOOK_SECRET\n",
    )
    workspace.config_path.write_text(text, encoding="utf-8")
    summary = run_cycle(workspace.context(store))
    assert [r.delivered for r in summary.webhooks] == [7]
    assert len(agency.webhooks) == 7 and agency.webhooks_refused == 0
