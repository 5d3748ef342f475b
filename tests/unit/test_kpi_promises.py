"""Promises to pay judged kept, broken or pending from the money that came afterwards, and the
promise event leaves the case state machine's guarantees as they were."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from gateway.domain.cases import CaseState
from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.domain.state_machine import fold
from gateway.kpi.promises import Paid, Promise, PromiseStatus, judge


def test_a_promise_paid_in_full_by_its_day_is_kept() -> None:
    promise = Promise(1, date(2026, 11, 1), date(2026, 11, 15), 100_00)
    (outcome,) = judge(
        [promise],
        [Paid(date(2026, 11, 10), 60_00), Paid(date(2026, 11, 17), 40_00)],
        as_of=date(2026, 11, 30),
    )
    # 17 Nov is within the 3 grace days after the 15th
    assert outcome.status is PromiseStatus.KEPT and outcome.settled_on == date(2026, 11, 17)


def test_a_promise_short_after_the_grace_days_is_broken_and_pending_before() -> None:
    promise = Promise(1, date(2026, 11, 1), date(2026, 11, 15), 100_00)
    paid = [Paid(date(2026, 11, 10), 60_00), Paid(date(2026, 11, 19), 40_00)]
    (late,) = judge([promise], paid, as_of=date(2026, 11, 30))
    assert late.status is PromiseStatus.BROKEN and late.paid == 60_00 and late.remaining == 40_00
    (waiting,) = judge([promise], paid[:1], as_of=date(2026, 11, 18))
    assert waiting.status is PromiseStatus.PENDING and waiting.remaining == 40_00


def test_money_before_the_promise_does_not_count_and_reversals_take_money_back() -> None:
    promise = Promise(1, date(2026, 11, 5), date(2026, 11, 15), 100_00)
    before = judge([promise], [Paid(date(2026, 11, 1), 100_00)], as_of=date(2026, 11, 30))
    assert before[0].status is PromiseStatus.BROKEN
    reversed_ = judge(
        [promise],
        [Paid(date(2026, 11, 10), 100_00), Paid(date(2026, 11, 12), -100_00)],
        as_of=date(2026, 11, 30),
    )
    assert reversed_[0].status is PromiseStatus.BROKEN and reversed_[0].paid == 0


def test_instalments_take_the_money_in_the_order_they_fall_due() -> None:
    first = Promise(1, date(2026, 10, 1), date(2026, 10, 15), 50_00)
    second = Promise(2, date(2026, 10, 1), date(2026, 11, 15), 50_00)
    # One payment of 50 on 20 Oct: after the first one's deadline (15 Oct + 3 grace days), so
    # it is not applied to it; it pays the second.
    outcomes = judge([second, first], [Paid(date(2026, 10, 20), 50_00)], as_of=date(2026, 11, 30))
    assert [(o.promise.event_id, o.status) for o in outcomes] == [
        (1, PromiseStatus.BROKEN),
        (2, PromiseStatus.KEPT),
    ]


def test_a_promise_changes_no_state_whatever_the_order_of_arrival() -> None:
    at = lambda d: datetime(2026, 11, d, tzinfo=UTC)  # noqa: E731
    events = [
        CaseEvent(EventKind.SELECTED, EventOrigin.GATEWAY, "s", at(1)),
        CaseEvent(EventKind.APPROVED, EventOrigin.CREDITOR, "a", at(1)),
        CaseEvent(EventKind.SUBMITTED, EventOrigin.GATEWAY, "sub", at(2)),
        CaseEvent(EventKind.ACCEPTED, EventOrigin.AGENCY, "acc", at(3)),
        CaseEvent(
            EventKind.PROMISE,
            EventOrigin.AGENCY,
            "p",
            at(4),
            amount=50_00,
            due_on=date(2026, 12, 1),
        ),
        CaseEvent(
            EventKind.PAYMENT, EventOrigin.AGENCY, "pay", at(5), amount=50_00, principal=50_00
        ),
    ]
    results = {
        (s.state, s.amounts.collected_principal, s.amounts.outstanding)
        for s in (fold(order, 100_00) for order in itertools.permutations(events))
    }
    assert results == {(CaseState.ACCEPTED, 50_00, 50_00)}
    closed = [*events, CaseEvent(EventKind.PAID, EventOrigin.AGENCY, "paid", at(6))]
    status = fold(closed, 50_00)
    assert status.effects[("agency", "p")] == "applied" and status.state is CaseState.CLOSED_PAID
