"""Notification e-mails through a real SMTP server (aiosmtpd on loopback): the account's sales
rep (read from the export by the mapping) and the users who asked hear of proposals, payments,
disputes, uncollectible returns and broken promises, each once, in their language; accounting
gets one daily digest; a message the server refused is sent on the next run."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header
from email.message import Message

import pytest
from sqlalchemy import select

from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.domain.users import Role
from gateway.pipeline import Step, run_cycle
from gateway.pipeline.cases.updates import CaseUpdater
from gateway.pipeline.summary import summary_lines
from gateway.storage.database import Store
from gateway.storage.models import CaseRow, DebtorRow, NotificationRow, utcnow
from tests.conftest import TODAY, Workspace
from tests.integration.alert_servers import SMTP_PASSWORD, SMTP_USER, Mailbox
from tests.integration.console_setup import add_person

HEADER = (
    "company_code,document_number,fiscal_year,line_item,customer_number,customer_name,"
    "document_date,due_date,currency,open_amount,dunning_level,sales_rep\n"
)


def subject(message: Message) -> str:
    return str(make_header(decode_header(str(message["Subject"]))))


def sent(mailbox: Mailbox) -> list[tuple[str, str]]:
    return sorted((str(m["To"]), subject(m)) for m in mailbox.messages)


def body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


@pytest.fixture
def notified(
    workspace: Workspace, store: Store, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    monkeypatch.setenv("CB_SMTP_PASSWORD", SMTP_PASSWORD)
    text = workspace.config_path.read_text(encoding="utf-8")
    text += f"""notifications:
  smtp:
    host: {mailbox.host}
    port: {mailbox.port}
    security: none
    username: {SMTP_USER}
    password: !env CB_SMTP_PASSWORD
    sender: claimbridge@example.com
  sales_rep_language: de
  link_base: https://claimbridge.example.com
"""
    workspace.config_path.write_text(text, encoding="utf-8")
    for path in workspace.path("erp", "exports").glob("*.csv"):
        path.unlink()
    (workspace.path("erp", "exports") / "open_items_1.csv").write_text(
        HEADER
        + "1000,D1,2026,001,C1,Alpha GmbH,2026-06-01,2026-07-01,EUR,500.00,3,rep@example.com\n"
        + "1000,D2,2026,001,C2,Beta SA,2026-06-01,2026-07-01,EUR,300.00,3,\n",
        encoding="utf-8",
    )
    add_person(store, "alice", Role.ACCOUNTING)
    add_person(store, "ivan", Role.IT)
    return workspace


def prefs(workspace: Workspace, *args: str) -> None:
    from click.testing import CliRunner

    from gateway.cli import main

    result = CliRunner(env={"CLAIMBRIDGE_DATABASE_URL": workspace.database_url}).invoke(
        main, ["-c", str(workspace.config_path), "notify", "prefs", *args]
    )
    assert result.exit_code == 0, result.output


def test_proposals_payments_and_the_digest_reach_each_reader_once(
    notified: Workspace, store: Store, mailbox: Mailbox
) -> None:
    prefs(notified, "alice", "--email", "alice@example.com", "--kinds", "proposals,payments")
    with store.unit_of_work() as session:
        from gateway.storage.models import UserRow

        alice = session.scalars(select(UserRow).where(UserRow.name == "alice")).one()
        alice.language = "fr"
    summary = run_cycle(notified.context(store), (Step.EXTRACT, Step.SELECT, Step.NOTIFY))
    assert not summary.errors
    with store.unit_of_work(read_only=True) as session:
        rep = session.scalars(select(DebtorRow.sales_rep).where(DebtorRow.number == "C1")).one()
    assert rep == "rep@example.com"  # read from the export by the mapping
    assert set(sent(mailbox)) == {
        ("rep@example.com", "[claimbridge] 1 Fall zur Übergabe vorgeschlagen"),
        ("alice@example.com", "[claimbridge] 2 dossiers proposés pour transmission"),
        ("alice@example.com", f"[claimbridge] Résumé du {TODAY.day} nov. 2026"),
    }
    rep_mail = next(m for m in mailbox.messages if m["To"] == "rep@example.com")
    assert "Alpha GmbH (C1)" in body(rep_mail) and "500,00" in body(rep_mail)
    assert "https://claimbridge.example.com/ui/cases/CB-" in body(rep_mail)
    assert "Beta SA" not in body(rep_mail)  # not the rep's account
    assert any("3 e-mails written, 3 sent" in line for line in summary_lines(summary))

    # A payment from the agency: told to alice and the rep; the proposals are not told again,
    # and the digest of the day is not sent twice.
    with store.unit_of_work() as session:
        case = session.scalars(select(CaseRow).where(CaseRow.debtor_number == "C1")).one()
        CaseUpdater(session, {}, utcnow()).apply(
            case,
            CaseEvent(
                EventKind.PAYMENT, EventOrigin.AGENCY, "pay-1", utcnow(), 120_00, principal=120_00
            ),
        )
    mailbox.messages.clear()
    run_cycle(notified.context(store), (Step.NOTIFY,))
    assert sent(mailbox) == [
        ("alice@example.com", "[claimbridge] 1 paiement encaissé par une agence"),
        ("rep@example.com", "[claimbridge] 1 Zahlung von einem Inkassobüro eingezogen"),
    ]
    mailbox.messages.clear()
    run_cycle(notified.context(store), (Step.NOTIFY,))
    assert mailbox.messages == []


def test_a_broken_promise_is_told_once_and_a_refused_message_is_sent_later(
    notified: Workspace, store: Store, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefs(
        notified,
        "alice",
        "--email",
        "alice@example.com",
        "--kinds",
        "broken_promises,disputes",
        "--no-digest",
    )
    run_cycle(notified.context(store), (Step.EXTRACT, Step.SELECT))
    with store.unit_of_work() as session:
        case = session.scalars(select(CaseRow).where(CaseRow.debtor_number == "C1")).one()
        updater = CaseUpdater(session, {}, utcnow())
        made = utcnow() - timedelta(days=6)
        updater.apply(
            case,
            CaseEvent(
                EventKind.PROMISE,
                EventOrigin.AGENCY,
                "p-1",
                made,
                200_00,
                due_on=TODAY - timedelta(days=4),
            ),
        )
    # The SMTP password is wrong: nothing is lost, the message waits with the reason.
    monkeypatch.setenv("CB_SMTP_PASSWORD", "wrong")
    summary = run_cycle(notified.context(store), (Step.NOTIFY,))
    assert mailbox.messages == [] and mailbox.refused_logins >= 1
    line = next(x for x in summary_lines(summary) if "notify" in x)
    assert "failed (tried again next run)" in line and "wrong" not in line
    monkeypatch.setenv("CB_SMTP_PASSWORD", SMTP_PASSWORD)
    run_cycle(notified.context(store), (Step.NOTIFY,))
    subjects = sent(mailbox)
    assert ("alice@example.com", "[claimbridge] 1 promise to pay broken") in subjects
    assert ("rep@example.com", "[claimbridge] 1 Zahlungszusage gebrochen") in subjects
    with store.unit_of_work(read_only=True) as session:
        rows = list(
            session.scalars(
                select(NotificationRow).where(NotificationRow.kind == "broken_promises")
            )
        )
    assert {(r.attempts, r.error) for r in rows} == {(2, "")}
    mailbox.messages.clear()
    run_cycle(notified.context(store), (Step.NOTIFY,))
    assert mailbox.messages == []


def test_a_user_sets_their_e_mails_in_the_console(workspace: Workspace, store: Store) -> None:
    from fastapi.testclient import TestClient

    from gateway.api import create_app
    from gateway.notifications.preferences import preferences_of
    from tests.integration.console_client import Browser

    add_person(store, "alice", Role.ACCOUNTING)
    with TestClient(create_app(workspace.config(), store)) as client:
        browser = Browser(client)
        assert browser.sign_in("alice").status_code == 303
        page = browser.get("/ui/settings/notifications").text
        assert 'name="kind" value="broken_promises"' in page and "My e-mails" in page
        refused = browser.post("/ui/settings/notifications", {"email": "not an address"})
        assert refused.status_code == 422 and "valid e-mail address" in refused.text
        saved = browser.post(
            "/ui/settings/notifications",
            {"email": "alice@example.com", "kind": ["payments", "disputes"]},
        )
        assert saved.status_code == 200 and "Your settings are saved." in saved.text
        assert (
            'value="payments" checked' in saved.text and 'name="digest" checked' not in saved.text
        )
        forged = client.post("/ui/settings/notifications", data={"email": "x@example.com"})
        assert forged.status_code == 403
    with store.unit_of_work(read_only=True) as session:
        found = preferences_of(session, "alice")
    assert found is not None
    assert (found.email, found.kinds, found.digest) == (
        "alice@example.com",
        ("payments", "disputes"),
        False,
    )
