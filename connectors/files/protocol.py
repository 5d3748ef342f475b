"""Where files live: the protocol every file transport implements (local folder, SFTP).

A transport knows folders and files, nothing of their content. Folders are given as the
configuration writes them; the transport resolves them (relative to the configuration's folder
for a local transport, to the login folder for SFTP).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from connectors.base import CheckResult

__all__ = ["FileTransport", "HashingWriter", "LocalCopy", "RemoteEntry", "Upload"]


@dataclass(frozen=True, slots=True)
class RemoteEntry:
    """A regular file in a folder."""

    name: str
    size: int
    mtime: float


@dataclass(frozen=True, slots=True)
class LocalCopy:
    """A file readable on this machine, with the hash and size of its content."""

    path: Path
    size: int
    sha256: str


@dataclass(slots=True)
class Upload:
    """The result of publishing a file: where it is, its size and hash."""

    location: str
    bytes: int
    sha256: str


class HashingWriter:
    """A binary writer that counts and hashes what passes through it."""

    def __init__(self, target: BinaryIO) -> None:
        self._target = target
        self._hash = hashlib.sha256()
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self.bytes += len(data)
        return self._target.write(data)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class FileTransport(Protocol):
    """Folders on a local disk or a remote server."""

    @property
    def channel(self) -> str:
        """'local' or 'sftp', as the transfer log shows it."""

    @property
    def local_clock(self) -> bool:
        """Whether file times come from this machine's clock (so a file's age can be told
        from its modification time)."""

    def location(self, folder: str, name: str = "") -> str:
        """A human-readable address of a folder or file (no secrets)."""

    def list(self, folder: str) -> list[RemoteEntry]:
        """Regular files in `folder`, without dotfiles (in-flight uploads are dotfiles)."""

    def fetch(self, folder: str, name: str) -> AbstractContextManager[LocalCopy]:
        """A local copy of a file for the duration of the block (the file itself if local)."""

    def publish(
        self, folder: str, name: str
    ) -> AbstractContextManager[tuple[HashingWriter, Upload]]:
        """Write a file atomically: what is written goes to a temporary name and appears
        under `name` only when the block ends without error. `Upload` is filled in then."""

    def stat(self, folder: str, name: str) -> RemoteEntry | None:
        """The file `name` in `folder`, or None if there is none."""

    def partials(self, folder: str) -> tuple[RemoteEntry, ...]:
        """The hidden partial files (`.NAME....part`) in `folder`: uploads under way, or left
        by a process that died."""

    def remove(self, folder: str, name: str) -> None:
        """Remove a file (no error if it is gone already)."""

    def move(self, folder: str, name: str, to_folder: str) -> str:
        """Move a file to another folder (created if needed), keeping its name unless one is
        there already; returns the name it got."""

    def check(self, folder: str, writable: bool) -> CheckResult:
        """Whether `folder` exists and can be listed (and written)."""

    def close(self) -> None: ...


def sha256_of(path: Path, chunk: int = 1 << 20) -> tuple[int, str]:
    """Size and SHA-256 of a local file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def iter_chunks(handle: BinaryIO, chunk: int = 1 << 20) -> Iterator[bytes]:
    while block := handle.read(chunk):
        yield block
