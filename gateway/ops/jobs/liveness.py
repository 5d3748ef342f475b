"""Whether the process that holds a lease is still alive, where that can be known for sure.

A run renews its lease from a heartbeat thread. On SQLite that renewal is a write, and SQLite
has one writer at a time: while the run's own pipeline holds a long write transaction (a large
snapshot's load), the heartbeat waits, and the lease may expire although its process is alive
and working. SQLite runs on one machine, so there a process can prove it is alive: it holds an
exclusive lock (flock) on a file named after it, beside the database, for as long as it lives;
the operating system drops the lock when the process dies, however it dies. An expired lease
whose owner still holds its lock is not taken over.

On PostgreSQL the processes may be on several machines; the lease alone decides there (the
heartbeat's small update never waits behind the pipeline's transactions).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

__all__ = ["OwnerLocks", "owner_locks_folder"]

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


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
        self._held: IO[bytes] | None = None

    @staticmethod
    def _path(folder: Path, owner: str) -> Path:
        return folder / f"{_SAFE.sub('_', owner)}.lock"

    def hold(self, owner: str) -> None:
        """Hold the lock of `owner` (this process) until the process ends."""
        if self.folder is None or self._held is not None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = self._path(self.folder, owner).open("wb")
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._held = handle

    def release(self) -> None:
        """Let go of this process's lock (as its end does)."""
        if self._held is not None:
            self._held.close()
            self._held = None

    def alive(self, owner: str) -> bool | None:
        """True: the owner's process lives; False: it is gone; None: cannot be known here."""
        if self.folder is None:
            return None
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
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # the owner is gone: its file is litter now
            return False
