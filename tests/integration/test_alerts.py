"""Alerts to a real webhook and a real SMTP server on loopback: one notice when a condition
starts and one when it clears, however many processes check; failed notices tried again on
the channel that missed them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from gateway.ops.alerts.monitor import RETRY_BASE, AlertMonitor
from gateway.ops.jobs.leases import Claimed, Leases
from gateway.ops.jobs.runner import JobRunner
from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import OutboxMessageRow
from gateway.storage.repositories.alerts import AlertStates
from gateway.storage.repositories.outbox import Outbox
from tests.conftest import Workspace
from tests.integration.alert_servers import (
    ALERT_ENV,
    SMTP_PASSWORD,
    WEBHOOK_TOKEN,
    Mailbox,
    Webhook,
    alerts_section,
)

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def monitors(
    workspace: Workspace,
    store: Store,
    mailbox: Mailbox,
    webhook: Webhook,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[list[AlertMonitor], Clock]:
    for name, value in ALERT_ENV.items():
        monkeypatch.setenv(name, value)
    text = workspace.config_path.read_text(encoding="utf-8")
    text += alerts_section(mailbox, webhook) + (
        "  silence:\n    - partner: erp\n      direction: inbound\n      after: 1h\n"
    )
    workspace.config_path.write_text(text, encoding="utf-8")
    clock = Clock()
    # as three processes would: each its own monitor on the one database
    return [AlertMonitor(workspace.config(), store, clock=clock) for _ in range(3)], clock


def check(monitors: list[AlertMonitor], rounds: int = 2) -> None:
    for _ in range(rounds):
        for monitor in monitors:
            monitor.check()


def test_a_failing_partner_is_notified_once_then_once_cleared(
    monitors: tuple[list[AlertMonitor], Clock],
    workspace: Workspace,
    store: Store,
    mailbox: Mailbox,
    webhook: Webhook,
) -> None:
    watching, _ = monitors
    exports = workspace.path("erp", "exports")
    good = next(exports.glob("*.csv")).read_bytes()
    next(exports.glob("*.csv")).write_text("a;b\n1;2\n", encoding="utf-8")
    run_cycle(workspace.context(store), (Step.EXTRACT,))
    check(watching, 3)
    key = "transfer_failed:erp:inbound:open_items"
    assert [(b["key"], b["status"]) for b in webhook.calls] == [(key, "firing")]
    assert "columns required by mapping" in webhook.calls[0]["summary"]
    assert webhook.headers[0]["Authorization"] == f"Bearer {WEBHOOK_TOKEN}"
    (mail,) = mailbox.messages
    assert mail["Subject"].startswith("[claimbridge] FIRING: inbound open_items transfer 1")
    assert mail["To"] == "it@example.com" and key in mail.get_payload()

    (exports / "open_items_fixed.csv").write_bytes(good)
    run_cycle(workspace.context(store), (Step.EXTRACT,))
    check(watching, 3)
    assert [(b["key"], b["status"]) for b in webhook.calls] == [
        (key, "firing"),
        (key, "resolved"),
    ]
    assert [m["Subject"].split(":")[0] for m in mailbox.messages] == [
        "[claimbridge] FIRING",
        "[claimbridge] RESOLVED",
    ]


def test_a_notice_a_channel_missed_is_sent_again_to_that_channel_only(
    monitors: tuple[list[AlertMonitor], Clock],
    workspace: Workspace,
    store: Store,
    mailbox: Mailbox,
    webhook: Webhook,
) -> None:
    watching, clock = monitors
    next(workspace.path("erp", "exports").glob("*.csv")).write_text("x\n1\n", encoding="utf-8")
    run_cycle(workspace.context(store), (Step.EXTRACT,))
    webhook.answer = 503
    check(watching)
    assert len(mailbox.messages) == 1 and webhook.calls == []
    with store.unit_of_work(read_only=True) as session:
        (state,) = AlertStates(session).rows()
    assert state.notice_pending and state.notified_channels == "email"
    assert "answered 503" in state.last_error and WEBHOOK_TOKEN not in state.last_error

    webhook.answer = 204
    check(watching)  # too early: it waits before trying again
    assert webhook.calls == []
    clock.now += RETRY_BASE + timedelta(seconds=1)
    check(watching)
    assert [b["status"] for b in webhook.calls] == ["firing"]
    assert len(mailbox.messages) == 1


def test_a_refused_smtp_login_is_recorded_without_the_password(
    monitors: tuple[list[AlertMonitor], Clock],
    workspace: Workspace,
    store: Store,
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CB_SMTP_PASSWORD", "wrong-" + SMTP_PASSWORD)
    monitor = AlertMonitor(workspace.config(), store)
    next(workspace.path("erp", "exports").glob("*.csv")).write_text("x\n1\n", encoding="utf-8")
    run_cycle(workspace.context(store), (Step.EXTRACT,))
    result = monitor.check()
    assert result.failed == 1 and mailbox.messages == [] and mailbox.refused_logins > 0
    with store.unit_of_work(read_only=True) as session:
        (state,) = AlertStates(session).rows()
    assert "SMTPAuthenticationError" in state.last_error
    assert SMTP_PASSWORD not in state.last_error


def test_dead_letters_silence_and_missed_slots_alert(
    monitors: tuple[list[AlertMonitor], Clock],
    workspace: Workspace,
    store: Store,
    webhook: Webhook,
) -> None:
    watching, clock = monitors
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT, Step.HANDOVER))
    with store.unit_of_work() as session:
        session.execute(
            update(OutboxMessageRow)
            .where(OutboxMessageRow.id <= 3)
            .values(status="dead", last_error="ERP refused: item locked")
        )
    runner = JobRunner(workspace.config(), store)
    spec = runner.specs["daily-cycle"]
    slot = datetime(2026, 11, 20, 5, 30, tzinfo=UTC)
    holder = Leases(store, "holder")
    claimed = holder.claim_manual(spec)
    assert isinstance(claimed, Claimed)
    runner.slot_missed("daily-cycle", [slot], "the job was still running")
    holder.release(claimed)
    clock.now += timedelta(hours=2)  # nothing from the ERP for two hours
    check(watching)
    firing = {b["key"]: b["summary"] for b in webhook.bodies("firing")}
    assert set(firing) == {
        "dead_letters:erp_action:erp",
        "job_missed:daily-cycle",
        "partner_silent:erp:inbound",
    }
    assert firing["dead_letters:erp_action:erp"].startswith("3 write-back actions for erp")
    assert "claimbridge outbox retry --destination erp" in firing["dead_letters:erp_action:erp"]
    assert "ERP refused: item locked" in firing["dead_letters:erp_action:erp"]
    assert (
        "no inbound transfer with erp succeeded for more than 1h"
        in firing["partner_silent:erp:inbound"]
    )
    assert "missed its slot 2026-11-20 05:30:00 UTC" in firing["job_missed:daily-cycle"]

    with store.unit_of_work() as session:
        Outbox(session).retry_dead("erp")
    clock.now = datetime.now(UTC)
    assert runner.run_now("daily-cycle").status == "ok"
    check(watching)
    resolved = {b["key"] for b in webhook.bodies("resolved")}
    assert resolved == set(firing)
    assert len(webhook.calls) == 6
