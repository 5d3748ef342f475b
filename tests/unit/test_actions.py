from datetime import UTC, datetime

from gateway.domain import (
    ActionKind,
    CaseContext,
    CaseEvent,
    CaseState,
    EventKind,
    EventOrigin,
    ItemKey,
    WriteBackRules,
    actions_for,
    allocate,
)

K1, K2, K3 = (ItemKey("erp", "1000", f"18000{i}", 2026, "001") for i in range(3))
CASE = CaseContext("CB-0000001", "acme", "EUR", [K1, K2])
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_payments_fill_the_oldest_items_first() -> None:
    assert allocate(150, [(K1, 100), (K2, 100)]) == [(K1, 100), (K2, 50)]


def test_an_overpayment_goes_to_the_last_item_and_shares_add_up() -> None:
    shares = allocate(350, [(K1, 100), (K2, 100), (K3, 100)])
    assert shares == [(K1, 100), (K2, 100), (K3, 150)]
    assert sum(s for _, s in shares) == 350


def test_a_reversal_is_taken_back_from_the_last_items_first() -> None:
    assert allocate(-120, [(K1, 100), (K2, 50)]) == [(K2, -50), (K1, -70)]


def test_submission_blocks_dunning_and_notes_each_item() -> None:
    event = CaseEvent(EventKind.SUBMITTED, EventOrigin.GATEWAY, "batch:B1", NOW)
    actions = actions_for(
        event, CASE, WriteBackRules(dunning_block="I"), CaseState.APPROVED, CaseState.SUBMITTED
    )
    kinds = [(a.kind, a.item) for a in actions]
    assert (ActionKind.SET_DUNNING_BLOCK, K1) in kinds
    assert (ActionKind.SET_DUNNING_BLOCK, K2) in kinds
    assert (ActionKind.ADD_NOTE, K2) in kinds
    assert all(a.dunning_block == "I" for a in actions if a.kind is ActionKind.SET_DUNNING_BLOCK)
    assert len({a.action_id for a in actions}) == len(actions)


def test_a_late_event_that_does_not_change_the_state_records_no_status() -> None:
    event = CaseEvent(EventKind.IN_PROGRESS, EventOrigin.AGENCY, "late", NOW)
    actions = actions_for(
        event, CASE, WriteBackRules(), CaseState.CLOSED_PAID, CaseState.CLOSED_PAID
    )
    assert not [a for a in actions if a.kind is ActionKind.RECORD_STATUS]
    assert [a.kind for a in actions] == [ActionKind.ADD_NOTE, ActionKind.ADD_NOTE]


def test_a_payment_is_posted_per_item_with_interest_and_fees_on_the_first() -> None:
    event = CaseEvent(
        EventKind.PAYMENT,
        EventOrigin.AGENCY,
        "p1",
        NOW,
        amount=16_000,
        principal=15_000,
        interest=600,
        fees=400,
        commission=2_000,
    )
    rules = WriteBackRules(note_each_agency_event=False)
    actions = actions_for(
        event,
        CASE,
        rules,
        CaseState.IN_PROGRESS,
        CaseState.IN_PROGRESS,
        payment_shares=[(K1, 10_000), (K2, 5_000)],
    )
    posted = [a for a in actions if a.kind is ActionKind.POST_PAYMENT]
    assert [(a.item, a.amount, a.interest, a.fees, a.commission) for a in posted] == [
        (K1, 10_000, 600, 400, 2_000),
        (K2, 5_000, 0, 0, 0),
    ]


def test_a_recall_clears_the_block_it_set() -> None:
    event = CaseEvent(EventKind.RECALL, EventOrigin.CREDITOR, "r1", NOW)
    actions = actions_for(event, CASE, WriteBackRules(), CaseState.IN_PROGRESS, CaseState.RECALLED)
    assert {(a.kind, a.status) for a in actions if a.item == K1} == {
        (ActionKind.RECORD_STATUS, "recalled"),
        (ActionKind.CLEAR_DUNNING_BLOCK, ""),
    }
