"""The case state machine: order by the events' own time, idempotent, terminal states kept."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain import CaseEvent, CaseState, EventKind, EventOrigin, fold

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
A, G, E, C = EventOrigin.AGENCY, EventOrigin.GATEWAY, EventOrigin.ERP, EventOrigin.CREDITOR


def ev(
    kind: EventKind, minutes: int, origin: EventOrigin = A, eid: str = "", **amounts: int
) -> CaseEvent:
    return CaseEvent(
        kind, origin, eid or f"{kind.value}-{minutes}", T0 + timedelta(minutes=minutes), **amounts
    )


SUBMITTED = [
    ev(EventKind.SELECTED, 0, G),
    ev(EventKind.APPROVED, 1, G),
    ev(EventKind.SUBMITTED, 2, G),
]


def test_a_case_lives_through_its_states_and_amounts() -> None:
    events = [
        *SUBMITTED,
        ev(EventKind.ACCEPTED, 10),
        ev(EventKind.IN_PROGRESS, 20),
        ev(
            EventKind.PAYMENT,
            30,
            amount=10_500,
            principal=10_000,
            interest=100,
            fees=400,
            commission=1_500,
        ),
        ev(EventKind.PAID, 40),
    ]
    status = fold(events, handed_over=10_000)
    assert status.state is CaseState.CLOSED_PAID
    assert status.amounts.collected_principal == 10_000
    assert status.amounts.collected == 10_500
    assert status.amounts.commission == 1_500
    assert status.amounts.outstanding == 0
    assert not status.needs_attention


def test_a_closing_listed_before_its_payment_is_applied_in_time_order() -> None:
    paid, payment = ev(EventKind.PAID, 40), ev(EventKind.PAYMENT, 30, amount=5_000, principal=5_000)
    status = fold([*SUBMITTED, paid, payment], handed_over=5_000)
    assert status.state is CaseState.CLOSED_PAID
    assert status.effects[paid.identity] == "applied"


def test_a_paid_report_without_the_money_is_flagged() -> None:
    paid = ev(EventKind.PAID, 40)
    status = fold([*SUBMITTED, paid], handed_over=5_000)
    assert status.state is CaseState.CLOSED_PAID
    assert status.effects[paid.identity] == "amount_mismatch"
    assert status.needs_attention


def test_an_agency_report_dated_midnight_still_follows_the_submission() -> None:
    midnight = CaseEvent(
        EventKind.ACCEPTED, A, "ack", T0.replace(hour=0)
    )  # before the 09:02 handover
    status = fold([*SUBMITTED, midnight], handed_over=100)
    assert status.state is CaseState.ACCEPTED


def test_status_after_close_is_flagged_and_leaves_the_state_alone() -> None:
    late = ev(EventKind.IN_PROGRESS, 50)
    status = fold(
        [*SUBMITTED, ev(EventKind.ACCEPTED, 10), ev(EventKind.RETURNED, 45), late], handed_over=100
    )
    assert status.state is CaseState.RECALLED
    assert status.effects[late.identity] == "after_close"


def test_a_payment_on_a_recalled_case_counts_and_is_flagged() -> None:
    recall = ev(EventKind.RECALL, 20, C)
    payment = ev(EventKind.PAYMENT, 30, amount=2_000, principal=2_000)
    status = fold([*SUBMITTED, ev(EventKind.ACCEPTED, 10), recall, payment], handed_over=5_000)
    assert status.state is CaseState.RECALLED
    assert status.amounts.collected_principal == 2_000
    assert status.effects[payment.identity] == "after_close"


def test_uncollectible_after_a_part_payment_writes_off_the_rest() -> None:
    events = [
        *SUBMITTED,
        ev(EventKind.PAYMENT, 20, amount=3_000, principal=3_000),
        ev(EventKind.UNCOLLECTIBLE, 30),
    ]
    status = fold(events, handed_over=10_000)
    assert status.state is CaseState.CLOSED_PARTIALLY_PAID
    assert status.amounts.written_off == 7_000
    assert status.amounts.outstanding == 0


def test_full_direct_payment_closes_the_case_as_paid_directly() -> None:
    status = fold(
        [*SUBMITTED, ev(EventKind.DIRECT_PAYMENT, 20, E, amount=10_000)], handed_over=10_000
    )
    assert status.state is CaseState.CLOSED_PAID_DIRECTLY


def test_only_an_explicit_reopen_leaves_a_terminal_state() -> None:
    events = [*SUBMITTED, ev(EventKind.ACCEPTED, 5), ev(EventKind.UNCOLLECTIBLE, 10)]
    assert fold(events, 100).state is CaseState.CLOSED_UNCOLLECTIBLE
    reopened = fold([*events, ev(EventKind.REOPEN, 20, C)], 100)
    assert reopened.state is CaseState.IN_PROGRESS
    assert reopened.amounts.written_off == 0


def test_reversal_takes_a_payment_back() -> None:
    events = [
        *SUBMITTED,
        ev(EventKind.PAYMENT, 10, amount=4_000, principal=4_000),
        ev(EventKind.PAYMENT_REVERSAL, 20, amount=4_000, principal=4_000),
    ]
    status = fold(events, handed_over=10_000)
    assert status.amounts.collected_principal == 0
    assert status.amounts.outstanding == 10_000


def test_a_recall_before_submission_dismisses() -> None:
    status = fold([ev(EventKind.SELECTED, 0, G), ev(EventKind.RECALL, 1, C)], 100)
    assert status.state is CaseState.DISMISSED


STREAM = [
    ev(EventKind.ACCEPTED, 10),
    ev(EventKind.IN_PROGRESS, 20),
    ev(EventKind.PAYMENT, 30, amount=3_000, principal=2_500, interest=500),
    ev(EventKind.PAYMENT_PLAN, 35),
    ev(EventKind.PAYMENT, 40, amount=2_000, principal=2_000, commission=300),
    ev(EventKind.DIRECT_PAYMENT, 45, E, amount=1_000),
    ev(EventKind.MESSAGE, 46),
    ev(EventKind.RECALL, 50, C),
    ev(EventKind.PAYMENT, 55, amount=700, principal=700),
    ev(EventKind.IN_PROGRESS, 60),
]


@settings(max_examples=300, deadline=None)
@given(st.permutations(STREAM), st.lists(st.sampled_from(STREAM), max_size=6))
def test_any_order_and_any_duplicates_give_the_same_status(
    order: list[CaseEvent], repeats: list[CaseEvent]
) -> None:
    # Duplicates are dropped by identity before folding, as the store does.
    unique = list({e.identity: e for e in [*order, *repeats]}.values())
    status = fold([*SUBMITTED, *unique], handed_over=10_000)
    expected = fold([*SUBMITTED, *STREAM], handed_over=10_000)
    assert status.state is expected.state is CaseState.RECALLED
    assert status.amounts == expected.amounts
    assert status.effects == expected.effects
