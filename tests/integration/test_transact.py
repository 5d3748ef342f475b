"""`Store.transact`: a unit of work the database aborts to break a deadlock is run again
whole, a bounded number of times; other errors are not retried."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from gateway.storage.database import TRANSACT_ATTEMPTS, Store
from gateway.storage.models import CaseRow
from tests.conftest import Workspace
from tests.integration.agency_api_setup import api_agencies, handed_over


class _Aborted(Exception):
    """What the driver raises for a deadlock victim (SQLSTATE 40P01)."""

    sqlstate = "40P01"


def _deadlock() -> DBAPIError:
    return DBAPIError("UPDATE cases ...", {}, _Aborted("deadlock detected"))


def test_a_deadlock_victim_is_run_again_and_its_first_attempt_leaves_nothing(
    workspace: Workspace, store: Store
) -> None:
    api_agencies(workspace)
    handed_over(workspace, store)
    attempts: list[int] = []

    def work(session: Session) -> str:
        attempts.append(1)
        case = session.scalars(select(CaseRow).where(CaseRow.reference == "CB-0000001")).one()
        case.collected_fees_minor += 100
        session.flush()
        if len(attempts) < 3:
            raise _deadlock()
        return case.reference

    assert store.transact(work) == "CB-0000001"
    assert len(attempts) == 3
    with store.unit_of_work(read_only=True) as session:
        fees = session.scalars(
            select(CaseRow.collected_fees_minor).where(CaseRow.reference == "CB-0000001")
        ).one()
    assert fees == 100  # the two aborted attempts were rolled back


def test_retries_are_bounded_and_other_errors_are_not_retried(store: Store) -> None:
    attempts: list[int] = []

    def always_deadlocked(_: Session) -> None:
        attempts.append(1)
        raise _deadlock()

    with pytest.raises(DBAPIError):
        store.transact(always_deadlocked)
    assert len(attempts) == TRANSACT_ATTEMPTS

    attempts.clear()

    def conflict(_: Session) -> None:
        attempts.append(1)
        raise IntegrityError("INSERT ...", {}, Exception("unique violation"))

    with pytest.raises(IntegrityError):
        store.transact(conflict)
    assert len(attempts) == 1


def test_two_transactions_locking_two_cases_in_opposite_orders_both_commit(
    workspace: Workspace, store: Store
) -> None:
    """A real deadlock on PostgreSQL: one of the two is aborted by the server and run again.
    (SQLite has one writer at a time: the second simply waits, and both commit as well.)"""
    api_agencies(workspace)
    handed_over(workspace, store)
    postgres = store.dialect == "postgresql"
    barrier = threading.Barrier(2, timeout=30)
    attempts = {"a": 0, "b": 0}
    errors: list[BaseException] = []

    def bump(session: Session, reference: str) -> None:
        session.execute(
            update(CaseRow)
            .where(CaseRow.reference == reference)
            .values(collected_fees_minor=CaseRow.collected_fees_minor + 1)
        )

    def run(name: str, first: str, second: str) -> None:
        def work(session: Session) -> None:
            attempts[name] += 1
            bump(session, first)
            if postgres and attempts[name] == 1:
                barrier.wait()  # both hold their first case: each now waits for the other's
            bump(session, second)

        try:
            store.transact(work)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=("a", "CB-0000001", "CB-0000002")),
        threading.Thread(target=run, args=("b", "CB-0000002", "CB-0000001")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    if postgres:
        assert sorted(attempts.values()) == [1, 2]  # one was the deadlock's victim
    with store.unit_of_work(read_only=True) as session:
        fees = session.scalars(
            select(CaseRow.collected_fees_minor)
            .where(CaseRow.reference.in_(["CB-0000001", "CB-0000002"]))
            .order_by(CaseRow.reference)
        ).all()
    assert fees == [2, 2]  # each transaction's two changes, once
