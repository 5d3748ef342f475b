"""The rest source and write-back, configured with the Tryton preset, against a real Tryton."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors.base import AuthenticationFailed, ConnectorContext, RemoteRejected
from connectors.rest import Call, RestSource, RestWriteBack
from connectors.testing import SourceConformance
from gateway.domain.actions import ActionKind, WriteBackAction
from gateway.domain.items import ItemKey
from mappings import load_mapping
from tests.conftest import Workspace
from tests.integration.tryton.conftest import SEEDED, TrytonSession, use_tryton

AT = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def open_source(workspace: Workspace) -> RestSource:
    source = workspace.config().open_source("tryton")
    assert isinstance(source, RestSource)
    return source


def open_writeback(workspace: Workspace) -> RestWriteBack:
    writeback = workspace.config().open_writeback("tryton")
    assert isinstance(writeback, RestWriteBack)
    return writeback


def read(source: RestSource, tryton: TrytonSession) -> dict[str, dict[str, Any]]:
    mapper = load_mapping("preset:tryton-open-items").for_records()
    (snapshot,) = source.snapshots(tryton.as_of)
    stream = snapshot.open()
    assert stream.columns is None
    return {
        str(r.position): dict(zip(mapper.targets, mapper(r.values), strict=True))
        for r in stream.records
    }


def test_the_source_reads_overdue_lines_with_their_dunnings_and_debtors(
    workspace: Workspace, tryton: TrytonSession
) -> None:
    source = open_source(use_tryton(workspace, tryton, SEEDED))
    items = read(source, tryton)
    invoices = tryton.facts["invoices"]
    # every line of every invoice of the seed is overdue on D, none is paid in full; the
    # credit note's line is an open credit
    lines = [str(n) for i in invoices.values() for n in i["lines"]]
    assert sorted(items, key=int) == sorted(lines, key=int)

    alpha = items[str(tryton.line("alpha-1"))]
    assert alpha["company_code"] == "1"
    assert alpha["document_number"] and alpha["reference"] == invoices["alpha-1"]["number"]
    assert alpha["open_amount"] == alpha["amount"] == Decimal("100.00")
    assert alpha["currency"] == "EUR"
    assert alpha["net_due_date"] == tryton.as_of - timedelta(days=120)
    assert alpha["document_date"] == tryton.as_of - timedelta(days=134)
    assert (alpha["dunning_level"], alpha["dunning_block"]) == (3, "")
    assert alpha["last_dunning_date"] is not None
    assert alpha["debtor_number"] == tryton.facts["customers"]["alpha"]["code"]
    assert (alpha["debtor_name"], alpha["debtor_street"], alpha["debtor_postal_code"]) == (
        "Alpha Handel AG",
        "Marktplatz 1",
        "20095",
    )
    assert (alpha["debtor_city"], alpha["debtor_country"], alpha["debtor_email"]) == (
        "Hamburg",
        "DE",
        "ap@alpha-handel.example",
    )

    levels = {
        key: items[str(tryton.line(f"{key}-1"))]["dunning_level"]
        for key in ("beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta")
    }
    assert levels == {
        "beta": 3,
        "gamma": 3,
        "delta": 3,
        "epsilon": 2,
        "zeta": 0,
        "eta": 3,
        "theta": 3,
    }
    assert items[str(tryton.line("theta-1"))]["dunning_block"] == "B"  # blocked in Tryton
    assert items[str(tryton.line("zeta-1"))]["last_dunning_date"] is None
    assert items[str(tryton.line("delta-1"))]["debtor_name"] == "Delta Möbel GmbH"


def test_small_pages_read_the_same_records(workspace: Workspace, tryton: TrytonSession) -> None:
    source = open_source(use_tryton(workspace, tryton, SEEDED))
    whole = read(source, tryton)
    small = source.options.model_copy(
        update={"pagination": source.options.pagination.model_copy(update={"size": 2})}
    )
    paged = RestSource(small, ConnectorContext("tryton", workspace.folder))
    assert read(paged, tryton) == whole


def test_an_expired_session_is_opened_again(workspace: Workspace, tryton: TrytonSession) -> None:
    source = open_source(use_tryton(workspace, tryton, SEEDED))
    first = read(source, tryton)
    client = source.client()
    header = dict(client.credentials.headers())["Authorization"]
    # the session ends on the server (an administrator, a timeout): the next call gets a 401
    answer = httpx.post(
        tryton.url(SEEDED),
        json={"id": 1, "method": "common.db.logout", "params": []},
        headers={"Authorization": header},
    )
    assert answer.status_code == 200
    assert read(source, tryton) == first
    assert dict(client.credentials.headers())["Authorization"] != header


def test_a_wrong_password_is_refused_without_showing_it(
    workspace: Workspace, tryton: TrytonSession
) -> None:
    use_tryton(workspace, tryton, SEEDED)
    wrong = workspace.folder / "wrong-password"
    wrong.write_text("not-the-admin-password\n", encoding="utf-8")
    text = workspace.config_path.read_text(encoding="utf-8")
    workspace.config_path.write_text(
        text.replace(str(tryton.home.password_file), str(wrong)), encoding="utf-8"
    )
    source = open_source(workspace)
    with pytest.raises(AuthenticationFailed) as failure:
        read(source, tryton)
    message = str(failure.value)
    assert f"login (JSON-RPC common.db.login at {tryton.url(SEEDED)}) refused" in message
    assert "HTTP 401" in message
    assert "not-the-admin-password" not in message
    assert [r.ok for r in source.check()] == [False]


def test_a_json_rpc_error_sent_with_http_200_is_a_rejection(
    workspace: Workspace, tryton: TrytonSession
) -> None:
    client = open_source(use_tryton(workspace, tryton, SEEDED)).client()
    call = Call(
        "POST",
        "",
        payload=[[999999], {"blocked": True}, {"company": 1}],
        rpc="model.account.dunning.write",
    )
    with pytest.raises(RemoteRejected) as failure:
        client.send(call)
    assert str(failure.value).startswith(
        f"tryton: JSON-RPC model.account.dunning.write at {tryton.url(SEEDED)}: the server "
        "refused: UserError: You are trying to write to records"
    )


# --- write-back ------------------------------------------------------------------------------


def action(
    tryton: TrytonSession, invoice: str, kind: ActionKind, n: int, **values: Any
) -> WriteBackAction:
    key = ItemKey("tryton", "1", "?", 2026, str(tryton.line(invoice)) if invoice else "999999")
    return WriteBackAction(
        f"CB-1:test:{invoice}:{kind.value}:{n}", kind, key, "CB-1", "acme", AT, "EUR", **values
    )


def test_blocks_and_notes_reach_the_dunning_and_the_invoice(
    workspace: Workspace, tryton: TrytonSession
) -> None:
    database = tryton.fresh_database()
    writeback = open_writeback(use_tryton(workspace, tryton, database))
    block = action(tryton, "beta-1", ActionKind.SET_DUNNING_BLOCK, 1, dunning_block="B")
    note = action(tryton, "beta-1", ActionKind.ADD_NOTE, 2, text="Handed over, case CB-1")
    status = action(tryton, "beta-1", ActionKind.RECORD_STATUS, 3, status="submitted")
    result = writeback.apply([block, note, status])
    assert result.failed == {}
    assert result.delivery is not None and result.delivery.records == 3

    rpc = tryton.rpc(database)
    dunning = rpc.dunning(tryton.line("beta-1"))
    assert dunning["blocked"] in (True, 1)
    assert rpc.notes(f"account.dunning,{dunning['id']}") == ["Handed over, case CB-1"]
    assert rpc.notes(f"account.invoice,{tryton.invoice('beta-1')}") == ["Handed over, case CB-1"]

    unblock = action(tryton, "beta-1", ActionKind.CLEAR_DUNNING_BLOCK, 4, dunning_block="B")
    assert writeback.apply([unblock]).failed == {}
    assert rpc.dunning(tryton.line("beta-1"))["blocked"] in (False, 0)
    # a line never dunned has no dunning to block: nothing to do, not a failure
    never = action(tryton, "zeta-1", ActionKind.SET_DUNNING_BLOCK, 5, dunning_block="B")
    assert writeback.apply([never]).failed == {}


def test_agency_payments_go_through_the_payment_wizard_once(
    workspace: Workspace, tryton: TrytonSession
) -> None:
    database = tryton.fresh_database()
    writeback = open_writeback(use_tryton(workspace, tryton, database))
    rpc = tryton.rpc(database)
    first = action(tryton, "alpha-1", ActionKind.POST_PAYMENT, 1, amount=4000, interest=150)
    assert writeback.apply([first]).failed == {}
    invoice = rpc.invoice(tryton.invoice("alpha-1"))
    assert (invoice["state"], invoice["amount_to_pay"]) == ("posted", Decimal("60.00"))

    rest = action(tryton, "alpha-1", ActionKind.POST_PAYMENT, 2, amount=6000)
    assert writeback.apply([rest, first]).failed == {}  # the first one again: posted once
    invoice = rpc.invoice(tryton.invoice("alpha-1"))
    assert (invoice["state"], invoice["amount_to_pay"]) == ("paid", Decimal("0"))
    assert len(invoice["payment_lines"]) == 2
    payments = [["origin", "=", f"account.invoice,{invoice['id']}"], ["journal.type", "=", "cash"]]
    moves = rpc.read("account.move", payments, ["date", "description"])
    assert [m["date"] for m in moves] == [AT.date(), AT.date()]
    assert all(m["description"].startswith("Collection agency acme case CB-1 ") for m in moves)
    # paid: the line is reconciled, its dunning no longer active
    assert rpc.read("account.dunning", [["line", "=", tryton.line("alpha-1")]], ["id"]) == []


def test_a_failed_action_holds_back_the_later_actions_on_its_item_only(
    workspace: Workspace, tryton: TrytonSession
) -> None:
    database = tryton.fresh_database()
    writeback = open_writeback(use_tryton(workspace, tryton, database))
    orphan_payment = action(tryton, "", ActionKind.POST_PAYMENT, 1, amount=1000)
    orphan_note = action(tryton, "", ActionKind.ADD_NOTE, 2, text="after the payment")
    other = action(tryton, "gamma-1", ActionKind.ADD_NOTE, 3, text="Agency reports: disputed")
    result = writeback.apply([orphan_payment, orphan_note, other])
    assert set(result.failed) == {orphan_payment.action_id, orphan_note.action_id}
    reason, retriable = result.failed[orphan_payment.action_id]
    assert "requests.post_payment[1]: found nothing at 0.id for {invoice}" in reason
    assert not retriable
    reason, retriable = result.failed[orphan_note.action_id]
    assert reason.startswith("not applied: an earlier action on this item failed") and retriable
    assert result.delivery is not None and result.delivery.records == 1
    rpc = tryton.rpc(database)
    assert rpc.notes(f"account.invoice,{tryton.invoice('gamma-1')}") == ["Agency reports: disputed"]


def test_the_session_header_is_tryton_s(workspace: Workspace, tryton: TrytonSession) -> None:
    writeback = open_writeback(use_tryton(workspace, tryton, SEEDED))
    assert [r.ok for r in writeback.check()] == [True]
    scheme, token = dict(writeback.client().credentials.headers())["Authorization"].split(" ")
    login, user, session = base64.b64decode(token).decode().split(":")
    assert (scheme, login, user) == ("Session", "admin", "1") and len(session) >= 32


class TestTrytonSource(SourceConformance):
    """The Tryton preset's source passes the conformance kit against the seeded database."""

    @pytest.fixture
    def repeatable(self) -> bool:
        return True

    @pytest.fixture
    def source(self, workspace: Workspace, tryton: TrytonSession) -> RestSource:
        return open_source(use_tryton(workspace, tryton, SEEDED))

    @pytest.fixture
    def expected_records(self, tryton: TrytonSession) -> int:
        return sum(len(i["lines"]) for i in tryton.facts["invoices"].values())
