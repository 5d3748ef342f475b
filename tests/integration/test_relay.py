"""The outbox relay: retries with backoff, dead letters, re-queueing, per-item order."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from connectors.base import ConnectionFailed, Delivery, DeliveryBatch
from gateway.pipeline.relay.outbox import _relay
from gateway.storage.database import Store
from gateway.storage.models import OutboxMessageRow
from gateway.storage.repositories.outbox import ERP_ACTION, Outbox, RetryPolicy
from tests.conftest import Workspace


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def enqueue(store: Store, messages: list[tuple[str, str]], now: datetime) -> None:
    with store.unit_of_work() as session:
        outbox = Outbox(session)
        for key, ordering in messages:
            outbox.enqueue(
                kind=ERP_ACTION,
                destination="erp",
                ordering_key=ordering,
                message_key=key,
                payload={"action_id": key},
                now=now,
            )


def relay(
    workspace: Workspace,
    store: Store,
    clock: Clock,
    fail: set[str] | None = None,
    down: bool = False,
) -> tuple[Any, list[str]]:
    seen: list[str] = []

    def deliver(
        payloads: Sequence[dict[str, Any]], batch: DeliveryBatch
    ) -> tuple[Delivery, dict[str, tuple[str, bool]]]:
        seen.extend(p["action_id"] for p in payloads)
        if down:
            raise ConnectionFailed("ERP unreachable")
        return Delivery("test", "somewhere", len(payloads)), {
            k: ("refused", True) for k in fail or ()
        }

    context = workspace.context(store)
    context = type(context)(context.config, store, context.as_of, clock)
    policy = RetryPolicy(max_attempts=3, base_seconds=60, rng=random.Random(7))
    result = _relay(
        context, ERP_ACTION, "erp", "writeback", "test", deliver, lambda p: p["action_id"], policy
    )
    return result, seen


def statuses(store: Store) -> dict[str, tuple[str, int]]:
    with store.unit_of_work(read_only=True) as session:
        return {
            m.message_key: (m.status, m.attempts) for m in session.scalars(select(OutboxMessageRow))
        }


def test_failures_back_off_then_die_and_can_be_requeued(workspace: Workspace, store: Store) -> None:
    clock = Clock()
    enqueue(store, [("a1", "item-a")], clock.now)
    for attempt in range(1, 4):
        result, seen = relay(workspace, store, clock, down=True)
        assert seen == ["a1"] and result.failed == 1
        assert statuses(store)["a1"] == ("dead" if attempt == 3 else "pending", attempt)
        result, seen = relay(workspace, store, clock)
        assert seen == []  # not due yet (or dead)
        clock.now += timedelta(hours=2)
    with store.unit_of_work() as session:
        assert Outbox(session).retry_dead("erp", now=clock.now) == 1
    result, seen = relay(workspace, store, clock)
    assert seen == ["a1"] and statuses(store)["a1"] == ("delivered", 1)


def test_a_failed_action_holds_back_later_actions_on_the_same_item_only(
    workspace: Workspace, store: Store
) -> None:
    clock = Clock()
    enqueue(store, [("a1", "item-a"), ("b1", "item-b")], clock.now)
    relay(workspace, store, clock, fail={"a1"})
    enqueue(store, [("a2", "item-a"), ("b2", "item-b")], clock.now)
    _, seen = relay(workspace, store, clock)
    assert seen == ["b2"]  # a2 waits for a1
    clock.now += timedelta(hours=1)
    _, seen = relay(workspace, store, clock)
    assert seen == ["a1", "a2"]
    assert {k: s for k, (s, _) in statuses(store).items()} == {
        "a1": "delivered",
        "a2": "delivered",
        "b1": "delivered",
        "b2": "delivered",
    }
