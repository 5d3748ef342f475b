"""Which claimbridge processes are alive, told through the database they share.

A process that takes a lease (an outbox batch, a job run) or starts a transfer names itself
as its owner (host, pid and a random part: pids are reused). When it dies, however it dies
(kill -9 included), another process must be able to tell, promptly and for sure, so that it
takes the work over at once instead of waiting for a lease to run out; and a process that is
alive but slow must not be taken over.

    SQLite      the process holds an exclusive lock (flock) on a file named after it in
                `<database file>.owners/`, for as long as it lives; the operating system
                drops the lock when the process dies. SQLite runs on one machine, so every
                process that shares the database can try the lock.
    PostgreSQL  the process holds a session-level advisory lock, keyed by its name, on a
                connection of its own, for as long as it lives, and registers the name in
                `process_presence`; the server drops the lock when the connection goes (the
                process died, or its machine). Another process tries the lock: if it gets
                it, the owner is gone.

`alive(owner)` answers True (alive), False (gone for sure) or None (cannot be known: the
owner never registered, e.g. an older version, or a database without presence, such as an
in-memory SQLite). Callers fall back to the lease's expiry on None.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import socket
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, delete, select, text
from sqlalchemy.engine import make_url

from gateway.storage.database import Store
from gateway.storage.models import ProcessPresenceRow, utcnow

__all__ = ["OwnerLocks", "Presence", "owner_locks_folder", "presence_of", "process_name"]

_SAFE = re.compile(r"[^A-Za-z0-9._-]")
# How long the trace of a dead process is kept (longer than any lease).
LITTER_SECONDS = 86_400.0
# The first key of claimbridge's advisory locks ("CB"); the second is the owner's hash.
_LOCK_CLASS = 0x4342


def process_name() -> str:
    """A new owner name for this process: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:48]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def owner_locks_folder(database_url: str) -> Path | None:
    """`<database file>.owners` for a SQLite file database; None otherwise."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    database = Path(url.database)
    return database.with_name(database.name + ".owners")


class OwnerLocks:
    """The lock files of lease owners in one folder (or nothing, without a folder)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._held: dict[str, IO[bytes]] = {}

    @staticmethod
    def _path(folder: Path, owner: str) -> Path:
        return folder / f"{_SAFE.sub('_', owner)}.lock"

    def hold(self, owner: str) -> None:
        """Hold the lock of `owner` (this process) until the process ends or `release`."""
        if self.folder is None or owner in self._held:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = self._path(self.folder, owner).open("wb")
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._held[owner] = handle

    def holds(self, owner: str) -> bool:
        return owner in self._held

    def release(self) -> None:
        """Let go of this process's locks (as its end does)."""
        for handle in self._held.values():
            handle.close()
        self._held.clear()

    def alive(self, owner: str) -> bool | None:
        """True: the owner's process lives; False: it is gone; None: cannot be known here."""
        if self.folder is None:
            return None
        if owner in self._held:
            return True
        path = self._path(self.folder, owner)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            return None
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            # The file stays: the owner's rows may be looked at again (see `sweep`).
            return False

    def sweep(self, older_than: float = LITTER_SECONDS) -> int:
        """Remove the files of owners gone for longer than `older_than` seconds (by then
        their leases have expired, and an unknown owner is as good as a dead one)."""
        if self.folder is None or not self.folder.is_dir():
            return 0
        removed = 0
        limit = time.time() - older_than
        for path in self.folder.glob("*.lock"):
            with contextlib.suppress(OSError), path.open("rb") as handle:
                if path.stat().st_mtime > limit:
                    continue
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                path.unlink()
                removed += 1
        return removed


def _lock_key(owner: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(owner.encode(), digest_size=4).digest(), "big", signed=True
    )


class Presence:
    """This process's presence on one database, and what it can tell of other owners."""

    def __init__(self, store: Store, owner: str | None = None) -> None:
        self.store = store
        self.owner = owner or process_name()
        self._postgres = store.dialect == "postgresql"
        self._files = OwnerLocks(
            None
            if self._postgres
            else owner_locks_folder(store.engine.url.render_as_string(hide_password=False))
        )
        self._connection: Connection | None = None
        self._lock = threading.Lock()

    def hold(self) -> None:
        """Make this process's presence known (idempotent); it lasts until the process ends."""
        with self._lock:
            if not self._postgres:
                if not self._files.holds(self.owner):
                    self._files.sweep()
                    self._files.hold(self.owner)
                return
            if self._connection is not None and not self._connection.closed:
                return
            connection = self.store.engine.connect()
            # A name whose key another live process holds (a hash collision) is replaced:
            # nothing carries this name yet.
            while not connection.execute(
                text("SELECT pg_try_advisory_lock(:c, :k)"),
                {"c": _LOCK_CLASS, "k": _lock_key(self.owner)},
            ).scalar():
                self.owner = process_name()
            connection.commit()
            self._connection = connection
        self._sweep_rows()
        with self.store.unit_of_work() as session:
            session.merge(
                ProcessPresenceRow(
                    owner=self.owner,
                    host=socket.gethostname()[:128],
                    pid=os.getpid(),
                    started_at=utcnow(),
                )
            )

    def release(self) -> None:
        """Let go of the presence (as the process's end does)."""
        with self._lock:
            self._files.release()
            connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                # Closed for good, not returned to the pool: its advisory lock goes with it.
                connection.invalidate()
                connection.close()

    def alive(self, owner: str) -> bool | None:
        """Whether `owner` still lives: True, False (gone for sure) or None (unknown)."""
        if not owner:
            return None
        if owner == self.owner:
            return True
        if not self._postgres:
            return self._files.alive(owner)
        key = {"c": _LOCK_CLASS, "k": _lock_key(owner)}
        with self.store.engine.connect() as connection:
            known = connection.execute(
                text("SELECT 1 FROM process_presence WHERE owner = :o"), {"o": owner}
            ).first()
            if known is None:
                return None
            got = connection.execute(text("SELECT pg_try_advisory_lock(:c, :k)"), key).scalar()
            if not got:
                return True
            connection.execute(text("SELECT pg_advisory_unlock(:c, :k)"), key)
            connection.commit()
            return False  # the row stays: the owner's rows may be looked at again

    def _sweep_rows(self) -> None:
        """Forget processes gone for longer than a day (see `OwnerLocks.sweep`)."""
        limit = utcnow() - timedelta(seconds=LITTER_SECONDS)
        with self.store.unit_of_work() as session:
            old = session.scalars(
                select(ProcessPresenceRow.owner).where(ProcessPresenceRow.started_at < limit)
            ).all()
            for owner in old:
                key = {"c": _LOCK_CLASS, "k": _lock_key(owner)}
                free = session.execute(text("SELECT pg_try_advisory_xact_lock(:c, :k)"), key)
                if free.scalar():
                    session.execute(
                        delete(ProcessPresenceRow).where(ProcessPresenceRow.owner == owner)
                    )


def presence_of(store: Store) -> Presence:
    """The presence of this process on `store` (one per store, held on first use, let go
    when the store is disposed)."""
    presence = store.extras.get("presence")
    if not isinstance(presence, Presence):
        presence = Presence(store)
        store.extras["presence"] = presence
        store.on_dispose(presence.release)
    presence.hold()
    return presence
