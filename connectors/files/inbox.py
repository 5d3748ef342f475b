"""Picking up files from a partner's folder, safely.

A file is taken only once it has settled (its size and modification time no longer change);
one still being written is left for the next poll. After the gateway has committed what it read
from a file, the file is moved to the archive folder (or, if it was refused, to the error folder
with a `.reason.txt` beside it). A crash before the move makes the next poll see the file again;
its recorded SHA-256 then turns it into a no-op, so nothing is lost and nothing is doubled.
"""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import ConnectorError, Outcome
from connectors.files.protocol import FileTransport, RemoteEntry

__all__ = ["REASON_SUFFIX", "InboundFile", "Inbox", "InboxOptions"]

REASON_SUFFIX = ".reason.txt"


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
            with transport.publish(options.error_folder, moved + REASON_SUFFIX) as (writer, _):
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

    def requeue(self, name: str, sha256: str | None = None) -> str:
        """Move a file set aside (in the error folder) back into the inbox, for the next poll
        to take again; its `.reason.txt` goes to the archive folder. A file renamed on its way
        to the error folder (`name.<6 hex>.ext`, another of the same name was there) is found
        too; `sha256` picks among several. Returns the name the file has in the inbox.

        Raises:
            FileNotFoundError: no such file in the error folder.
        """
        options, transport = self.options, self.transport
        try:
            present = {e.name for e in transport.list(options.error_folder)}
        except ConnectorError:
            present = set()
        stem, dot, suffix = name.partition(".")
        renamed = re.compile(re.escape(stem) + r"\.[0-9a-f]{6}" + re.escape(dot + suffix) + "$")
        candidates = sorted(
            n for n in present if (n == name or renamed.match(n)) and not n.endswith(REASON_SUFFIX)
        )
        if sha256 is not None and len(candidates) > 1:
            candidates = [n for n in candidates if self._sha256(options.error_folder, n) == sha256]
        if not candidates:
            raise FileNotFoundError(f"{name} is not in {transport.location(options.error_folder)}")
        found = candidates[0] if name not in candidates else name
        back = transport.move(options.error_folder, found, options.folder)
        if found + REASON_SUFFIX in present:
            transport.move(options.error_folder, found + REASON_SUFFIX, options.archive_folder)
        return back

    def _sha256(self, folder: str, name: str) -> str:
        with self.transport.fetch(folder, name) as copy:
            return copy.sha256

    def _matching(self) -> list[RemoteEntry]:
        pattern = self.options.pattern
        return [
            e
            for e in self.transport.list(self.options.folder)
            if fnmatch.fnmatchcase(e.name, pattern)
        ]
