"""The rest write-back against a real HTTP server: actions as the requests a mapping lays
out, item order kept when an action fails, and a delivery that stops when the server fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectorContext, RetriableError
from connectors.rest import RestWriteBack, RestWriteBackOptions
from gateway.domain.actions import ActionKind, WriteBackAction
from gateway.domain.items import ItemKey
from mappings import parse_mapping
from tests.integration.local_api import LocalApi, Reply, Seen, serve

MAPPING = """
name: shop-erp
kind: writeback
fields:
  invoice: {from: document_number, steps: [strip]}
  note: {concat: {parts: [{value: "[claimbridge]"}, text], separator: " "}}
requests:
  set_dunning_block:
    - {method: PATCH, path: "invoices/{invoice}", body: {dunning_block: "{dunning_block}"}}
  clear_dunning_block:
    - {method: PATCH, path: "invoices/{invoice}", body: {dunning_block: null}}
  add_note:
    - {path: "invoices/{invoice}/notes", body: {text: "{note}", by: "{author}"}}
  record_status: []
  post_payment:
    - {method: GET, path: "payments", query: {reference: "{action_id}"}, applied_if: "data.0"}
    - {path: "invoices/{invoice}/payments", body: {amount: "{amount}", currency: "{currency}",
       reference: "{action_id}"}, capture: {payment: "data.id"}}
    - {method: POST, path: "payments/{payment}/confirm"}
"""
AT = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture
def api() -> Iterator[LocalApi]:
    yield from serve()


def writeback(api: LocalApi, tmp_path: Path, **options: Any) -> RestWriteBack:
    settings = {
        "base_url": api.url + "api",
        "variables": {"author": "claimbridge"},
        "retry": {"attempts": 2, "backoff_seconds": 0.01},
        "decimals": "number",
        **options,
    }
    mapping = parse_mapping(MAPPING, "shop-erp.yaml")
    return RestWriteBack(
        RestWriteBackOptions.model_validate(settings),
        ConnectorContext("shop", tmp_path, {"writeback": mapping}),
    )


def act(document: str, kind: ActionKind, n: int, **values: Any) -> WriteBackAction:
    key = ItemKey("shop", "1000", document, 2026, "1")
    return WriteBackAction(
        f"CB-7:{document}:{kind.value}:{n}", kind, key, "CB-7", "acme", AT, "EUR", **values
    )


def accept(seen: Seen) -> Reply:
    return Reply(200, {"data": {"id": 41}})


def test_actions_become_the_requests_their_mapping_lays_out(api: LocalApi, tmp_path: Path) -> None:
    for path in ("/api/invoices/INV-1", "/api/invoices/INV-1/notes", "/api/payments/41/confirm"):
        for method in ("PATCH", "POST"):
            api.route(method, path, accept)
    api.replies("GET", "/api/payments", Reply(body={"data": []}))
    api.route("POST", "/api/invoices/INV-1/payments", accept)
    actions = [
        act(" INV-1", ActionKind.SET_DUNNING_BLOCK, 1, dunning_block="I"),
        act(" INV-1", ActionKind.ADD_NOTE, 2, text="Handed over"),
        act(" INV-1", ActionKind.RECORD_STATUS, 3, status="submitted"),
        act(" INV-1", ActionKind.POST_PAYMENT, 4, amount=12_345),
    ]
    result = writeback(api, tmp_path).apply(actions)
    assert result.failed == {}
    assert result.delivery is not None and result.delivery.records == 4
    assert [(s.method, s.path) for s in api.seen] == [
        ("PATCH", "/api/invoices/INV-1"),
        ("POST", "/api/invoices/INV-1/notes"),
        ("GET", "/api/payments"),
        ("POST", "/api/invoices/INV-1/payments"),
        ("POST", "/api/payments/41/confirm"),
    ]
    assert api.seen[0].json() == {"dunning_block": "I"}
    assert api.seen[1].json() == {"text": "[claimbridge] Handed over", "by": "claimbridge"}
    assert api.seen[2].query == {"reference": "CB-7: INV-1:post_payment:4"}
    assert api.seen[3].json() == {
        "amount": 123.45,
        "currency": "EUR",
        "reference": "CB-7: INV-1:post_payment:4",
    }
    assert api.seen[4].body == b""


def test_a_payment_found_at_the_erp_is_not_posted_again(api: LocalApi, tmp_path: Path) -> None:
    api.replies("GET", "/api/payments", Reply(body={"data": [{"id": 41}]}))
    result = writeback(api, tmp_path).apply([act("INV-1", ActionKind.POST_PAYMENT, 1, amount=5)])
    assert result.failed == {} and [s.method for s in api.seen] == ["GET"]


def test_a_refused_action_holds_back_its_item_and_the_others_go_on(
    api: LocalApi, tmp_path: Path
) -> None:
    api.replies("PATCH", "/api/invoices/INV-1", Reply(409, {"message": "invoice INV-1 is locked"}))
    api.route("POST", "/api/invoices/INV-1/notes", accept)
    api.route("POST", "/api/invoices/INV-2/notes", accept)
    blocked = act("INV-1", ActionKind.SET_DUNNING_BLOCK, 1, dunning_block="I")
    held_back = act("INV-1", ActionKind.ADD_NOTE, 2, text="x")
    other = act("INV-2", ActionKind.ADD_NOTE, 3, text="y")
    result = writeback(api, tmp_path).apply([blocked, held_back, other])
    reason, retriable = result.failed[blocked.action_id]
    assert "requests.set_dunning_block[0]" in reason
    assert "HTTP 409 Conflict: invoice INV-1 is locked" in reason and not retriable
    reason, retriable = result.failed[held_back.action_id]
    assert reason.startswith("not applied: an earlier action on this item failed") and retriable
    assert other.action_id not in result.failed
    assert [s.path for s in api.seen] == ["/api/invoices/INV-1", "/api/invoices/INV-2/notes"]


def test_a_failing_server_stops_the_delivery(api: LocalApi, tmp_path: Path) -> None:
    api.route("POST", "/api/invoices/INV-1/notes", accept)
    api.replies("POST", "/api/invoices/INV-2/notes", Reply(503, "maintenance"))
    first = act("INV-1", ActionKind.ADD_NOTE, 1, text="a")
    failing = act("INV-2", ActionKind.ADD_NOTE, 2, text="b")
    never = act("INV-1", ActionKind.ADD_NOTE, 3, text="c")
    result = writeback(api, tmp_path).apply([first, failing, never])
    assert first.action_id not in result.failed
    assert set(result.failed) == {failing.action_id, never.action_id}
    assert all(retriable for _, retriable in result.failed.values())
    assert "HTTP 503 Service Unavailable after 2 attempts: maintenance" in str(result.failed)
    assert len(api.requests_to("/api/invoices/INV-1/notes")) == 1

    # failing before anything was applied: the whole delivery is retried later
    with pytest.raises(RetriableError):
        writeback(api, tmp_path).apply([failing, never])
