"""Picking up files from a partner's folder, safely.

A file is taken only once it has settled (its size and modification time no longer change);
one still being written is left for the next poll. After the gateway has committed what it read
from a file, the file is moved to the archive folder (or, if it was refused, to the error folder
with a `.reason.txt` beside it). A crash before the move makes the next poll see the file again;
its recorded SHA-256 then turns it into a no-op, so nothing is lost and nothing is doubled.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import Outcome
from connectors.files.transport import FileTransport, RemoteEntry

__all__ = ["InboundFile", "Inbox", "InboxOptions"]


class InboxOptions(BaseModel):
    """Where a partner's files are picked up, and what happens to them afterwards."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    folder: str = Field(description="folder the partner drops files into")
    pattern: str = Field(default="*.csv", description="glob of the file names to take")
    archive: str | None = Field(
        default=None, description="folder processed files move to (default: <folder>/archive)"
    )
    error: str | None = Field(
        default=None, description="folder refused files move to (default: <folder>/error)"
    )
    settle_seconds: float = Field(
        default=2.0,
        ge=0,
        le=300,
        description="a file modified more recently than this is re-checked before it is taken",
    )

    @property
    def archive_folder(self) -> str:
        return self.archive or f"{self.folder.rstrip('/')}/archive"

    @property
    def error_folder(self) -> str:
        return self.error or f"{self.folder.rstrip('/')}/error"


@dataclass(slots=True)
class InboundFile:
    """A settled file waiting in the inbox."""

    entry: RemoteEntry
    inbox: Inbox

    @property
    def name(self) -> str:
        return self.entry.name

    def settle(self, outcome: Outcome, reason: str = "") -> None:
        """Archive (processed, duplicate), set aside with the reason (rejected) or leave it
        for the next poll (retry)."""
        options, transport = self.inbox.options, self.inbox.transport
        if outcome in (Outcome.PROCESSED, Outcome.DUPLICATE):
            transport.move(options.folder, self.name, options.archive_folder)
        elif outcome is Outcome.REJECTED:
            moved = transport.move(options.folder, self.name, options.error_folder)
            with transport.publish(options.error_folder, f"{moved}.reason.txt") as (writer, _):
                writer.write((reason or "rejected").encode("utf-8") + b"\n")


class Inbox:
    """The settled files of a partner's folder, oldest name first."""

    def __init__(
        self,
        transport: FileTransport,
        options: InboxOptions,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.transport = transport
        self.options = options
        self._clock = clock
        self._sleep = sleep

    def pending(self) -> Iterator[InboundFile]:
        """Files matching the pattern that have settled. A file modified within
        `settle_seconds` is looked at again after that time; if its size or time changed, it
        is left for the next poll. On a server whose clock is not ours (SFTP), a file's age
        cannot be told from its time: every file is looked at twice, `settle_seconds` apart."""
        entries = self._matching()
        now = self._clock()
        settle = self.options.settle_seconds
        if self.transport.local_clock:
            fresh = {e.name: e for e in entries if now - e.mtime < settle}
            wait = settle - (now - max((e.mtime for e in fresh.values()), default=now))
        else:
            fresh = {e.name: e for e in entries} if settle > 0 else {}
            wait = settle
        if fresh:
            self._sleep(min(settle, max(0.0, wait)))
            again = {e.name: e for e in self._matching()}
            entries = [
                again[e.name]
                for e in entries
                if e.name in again
                and (
                    e.name not in fresh
                    or (again[e.name].size, again[e.name].mtime) == (e.size, e.mtime)
                )
            ]
        for entry in sorted(entries, key=lambda e: e.name):
            yield InboundFile(entry, self)

    def _matching(self) -> list[RemoteEntry]:
        pattern = self.options.pattern
        return [
            e
            for e in self.transport.list(self.options.folder)
            if fnmatch.fnmatchcase(e.name, pattern)
        ]
