"""Engines and units of work.

One unit of work per job or request: it opens a session, the job does its work through
repositories and services (which never commit), and the unit of work commits at the end, or
rolls everything back if anything failed.

On SQLite the database runs in WAL mode with a busy timeout, and write transactions start with
`BEGIN IMMEDIATE`, so that a read transaction is never upgraded to a write in the middle (the
cause of "database is locked" errors under concurrency). Read-only units of work use a deferred
`BEGIN` and do not block each other.

On PostgreSQL (READ COMMITTED) what must not be changed by two transactions at once is locked
(`SELECT ... FOR UPDATE`, always in the same order: see `CaseRepository.lock`), and a
transaction the database aborts anyway to break a deadlock, or for a serialization failure, is
run again from its start by `Store.transact`, a bounded number of times.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["TRANSACT_ATTEMPTS", "Store", "create_store", "is_retryable"]

log = logging.getLogger(__name__)

T = TypeVar("T")

# How often `Store.transact` runs a unit of work that the database aborted as a deadlock
# victim or for a serialization failure (PostgreSQL SQLSTATE 40P01, 40001) before giving up.
TRANSACT_ATTEMPTS = 5
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_CACHE_KIB = 16 * 1024


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A bounded page cache: memory stays flat whatever the size of a snapshot (measured:
        # a larger cache made writing a million items no faster).
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


class Store:
    """The database: an engine and the units of work opened on it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = sessionmaker(engine, expire_on_commit=False)
        reader_engine = (
            engine.execution_options(sqlite_begin="DEFERRED")
            if engine.dialect.name == "sqlite"
            else engine
        )
        self._reader = sessionmaker(reader_engine, expire_on_commit=False)
        # What lives as long as the store in this process (its presence: see
        # gateway.storage.presence), and what must be let go when it is disposed.
        self.extras: dict[str, object] = {}
        self._disposers: list[Callable[[], None]] = []

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(self, *, read_only: bool = False) -> Iterator[Session]:
        """A session whose work is committed when the block ends, rolled back on error."""
        session = (self._reader if read_only else self._writer)()
        try:
            with session.begin():
                yield session
                if read_only:
                    # Keep what was loaded usable after the block, and write nothing.
                    session.expunge_all()
                    session.rollback()
        finally:
            session.close()

    def transact(self, work: Callable[[Session], T], *, attempts: int = TRANSACT_ATTEMPTS) -> T:
        """Run `work` in one unit of work and commit it; if the database aborts the
        transaction to break a deadlock or for a serialization failure (on `work`'s statements
        or on the commit), run all of `work` again in a new unit of work, at most `attempts`
        times in all. `work` must do nothing outside the session that cannot be done twice.

        Raises:
            DBAPIError: the last attempt's error, or any error that is not of that kind.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.unit_of_work() as session:
                    return work(session)
            except DBAPIError as exc:
                if attempt == attempts or not is_retryable(exc):
                    raise
                log.warning(
                    "transaction aborted by the database (%s), attempt %s of %s: running it again",
                    _sqlstate(exc),
                    attempt,
                    attempts,
                )
                # A short random pause, growing with the attempts: the transactions that
                # collided do not meet again in the same step.
                time.sleep(random.uniform(0.005, 0.025) * attempt)  # noqa: S311 - not security
        raise AssertionError("unreachable")  # pragma: no cover

    def on_dispose(self, release: Callable[[], None]) -> None:
        self._disposers.append(release)

    def dispose(self) -> None:
        while self._disposers:
            self._disposers.pop()()
        self.engine.dispose()


def _sqlstate(exc: DBAPIError) -> str:
    orig = exc.orig
    return str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")


def is_retryable(exc: DBAPIError) -> bool:
    """Whether the database aborted the transaction so that it can simply be run again
    (deadlock victim, serialization failure)."""
    return _sqlstate(exc) in _RETRYABLE_SQLSTATES


def create_store(url: str, **engine_options: Any) -> Store:
    """A store for a SQLAlchemy URL (sqlite:///path, postgresql+psycopg://...)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    options: dict[str, Any] = {"future": True}
    if url.startswith("postgresql"):
        options.update(pool_pre_ping=True)
    options.update(engine_options)
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine)
    return Store(engine)
