"""Folders on a partner's SFTP server: the `FileTransport` for ERPs and agencies that exchange
files over SSH.

- One SSH connection per transport, opened on first use (host key verified, see
  `sftp_session`), opened again after it drops.
- Downloads go to a local temporary copy, hashed as they arrive. The file is looked at before
  and after: if it changed meanwhile (still being written), the download is refused and the
  file left for the next poll. A dropped connection resumes the download where it stopped.
- Uploads are written to a local spool first (so that nothing reaches the partner if producing
  the file fails), then to `.NAME.part` on the server, whose size is checked before it is
  renamed to NAME with posix-rename (an atomic replace); a partial file is never visible under
  its final name. A dropped connection resumes the upload from what the server acknowledged;
  a `.part` left by an earlier process is overwritten (its content cannot be vouched for).
- Every failure is a connector error naming the server and the path, never a secret.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO, TypeVar, cast

from connectors.base import (
    CheckResult,
    ConfigurationError,
    ConnectionFailed,
    ConnectorError,
    RetriableError,
    Unavailable,
)
from connectors.files.protocol import HashingWriter, LocalCopy, RemoteEntry, Upload
from connectors.files.sftp_options import SftpTimeouts, SftpTransportOptions

if TYPE_CHECKING:
    import paramiko

    from connectors.files.sftp_session import SftpSession

__all__ = ["SftpFolders", "SftpTimeouts", "SftpTransportOptions"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class SftpFolders:
    """A `FileTransport` over a partner's SFTP server (see the module docstring)."""

    channel = "sftp"
    # File times are the server's clock, not ours: the inbox watches every file for its settle
    # time instead of trusting its age.
    local_clock = False

    def __init__(self, options: SftpTransportOptions, base_dir: Path) -> None:
        self._options = options
        self._base = base_dir
        self._session: SftpSession | None = None
        self._posix_rename = options.posix_rename
        self._introduced = False
        self._connect_failed = False

    # --- addresses -----------------------------------------------------------------------

    def location(self, folder: str, name: str = "") -> str:
        path = self._options.remote_path(folder, name)
        return self._options.address + (path if path.startswith("/") else f"/~/{path}")

    # --- the connection ------------------------------------------------------------------

    def _open(self) -> SftpSession:
        if self._session is not None and self._session.alive:
            return self._session
        self._drop()
        # paramiko is imported on first connection only: reading a configuration or starting
        # the CLI does not pay for it.
        from connectors.files.sftp_session import open_session

        self._connect_failed = True
        self._session = open_session(self._options, self._base)
        self._connect_failed = False
        return self._session

    def _connected(self) -> bool:
        return self._session is not None and self._session.alive

    def _drop(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Connector errors for what goes wrong while doing `what`; a session that may be in
        an unknown state is dropped (the next operation connects again)."""
        from connectors.files.sftp_session import sftp_errors

        try:
            with sftp_errors(what, self._connected, self._options.timeouts.operation):
                yield
        except ConfigurationError:
            raise
        except ConnectorError:
            self._drop()
            raise

    def _attempts(self, what: str, work: Callable[[int], T], done: Callable[[], str]) -> T:
        """Run `work(attempt)`; after a connection that dropped during the transfer, connect
        again and run it again (it resumes), at most `transfer_attempts` times in all. A
        connection that cannot be opened is not tried again here: the next run will."""
        attempts = self._options.transfer_attempts
        for attempt in range(1, attempts + 1):
            try:
                return work(attempt)
            except ConnectionFailed as exc:
                if self._connect_failed or attempt == attempts:
                    tried = f" after {attempt} attempts" if attempt > 1 else ""
                    raise ConnectionFailed(f"{what} failed{tried} ({done()}): {exc}") from None
                log.warning(
                    "%s interrupted (%s): %s; connecting again (attempt %d of %d)",
                    what,
                    done(),
                    exc,
                    attempt + 1,
                    attempts,
                )
        raise AssertionError("unreachable")  # pragma: no cover

    # --- FileTransport -------------------------------------------------------------------

    def list(self, folder: str) -> list[RemoteEntry]:
        path = self._options.remote_path(folder)
        with self._errors(f"cannot list folder {self.location(folder)}"):
            attributes = self._open().sftp.listdir_attr(path)
        return [
            RemoteEntry(a.filename, a.st_size or 0, float(a.st_mtime or 0))
            for a in attributes
            if not a.filename.startswith(".") and a.st_mode is not None and stat.S_ISREG(a.st_mode)
        ]

    @contextmanager
    def fetch(self, folder: str, name: str) -> Iterator[LocalCopy]:
        folder_dir = Path(tempfile.mkdtemp(prefix="claimbridge-sftp-"))
        local = folder_dir / (posixpath.basename(name) or "download")
        try:
            size, digest = self._download(folder, name, local)
            yield LocalCopy(local, size, digest)
        finally:
            shutil.rmtree(folder_dir, ignore_errors=True)

    @contextmanager
    def publish(self, folder: str, name: str) -> Iterator[tuple[HashingWriter, Upload]]:
        if "/" in name or name in ("", ".", ".."):
            raise ConfigurationError(f"{name!r} is not a file name")
        upload = Upload(location=self.location(folder, name), bytes=0, sha256="")
        with tempfile.TemporaryFile(prefix="claimbridge-upload-") as spool:
            writer = HashingWriter(cast(BinaryIO, spool))
            yield writer, upload
            spool.flush()
            try:
                self._upload(spool, folder, name, writer.bytes)
            except ConfigurationError as exc:
                # A folder missing or not writable on the server is a transport fault of the
                # delivery (the partner may be fixing it): retried later, not given up.
                raise Unavailable(str(exc)) from None
        upload.bytes, upload.sha256 = writer.bytes, writer.sha256

    def stat(self, folder: str, name: str) -> RemoteEntry | None:
        with self._errors(f"cannot look at {self.location(folder, name)}"):
            try:
                found = self._open().sftp.stat(self._options.remote_path(folder, name))
            except FileNotFoundError:
                return None
        return RemoteEntry(name, found.st_size or 0, float(found.st_mtime or 0))

    def partials(self, folder: str) -> tuple[RemoteEntry, ...]:
        path = self._options.remote_path(folder)
        with self._errors(f"cannot list folder {self.location(folder)}"):
            try:
                attributes = self._open().sftp.listdir_attr(path)
            except FileNotFoundError:
                return ()
        return tuple(
            RemoteEntry(a.filename, a.st_size or 0, float(a.st_mtime or 0))
            for a in attributes
            if a.filename.startswith(".")
            and a.filename.endswith(".part")
            and a.st_mode is not None
            and stat.S_ISREG(a.st_mode)
        )

    def remove(self, folder: str, name: str) -> None:
        with self._errors(f"cannot remove {self.location(folder, name)}"):
            try:
                self._open().sftp.remove(self._options.remote_path(folder, name))
            except FileNotFoundError:
                return

    def move(self, folder: str, name: str, to_folder: str) -> str:
        source = self._options.remote_path(folder, name)
        target_dir = self._options.remote_path(to_folder)
        with self._errors(
            f"cannot move {self.location(folder, name)} to {self.location(to_folder)}"
        ):
            sftp = self._open().sftp
            self._make_folders(sftp, target_dir)
            target = name
            for _ in range(5):
                if self._exists(sftp, f"{target_dir}/{target}"):
                    stem, dot, suffix = name.partition(".")
                    target = f"{stem}.{secrets.token_hex(3)}{dot}{suffix}"
                    continue
                # A plain rename never replaces an existing file: an archived file is never
                # overwritten, even by a concurrent move.
                sftp.rename(source, f"{target_dir}/{target}")
                return target
        raise ConfigurationError(
            f"cannot move {self.location(folder, name)}: no free name in {self.location(to_folder)}"
        )

    def check(self, folder: str, writable: bool) -> CheckResult:
        path = self._options.remote_path(folder)
        what = f"folder {self.location(folder)}"
        with self._errors(f"cannot check {what}"):
            session = self._open()
            sftp = session.sftp
            try:
                attributes = sftp.stat(path)
            except FileNotFoundError:
                return CheckResult(what, False, "does not exist on the server")
            except PermissionError:
                return CheckResult(what, False, "cannot be reached (permission denied)")
            if attributes.st_mode is None or not stat.S_ISDIR(attributes.st_mode):
                return CheckResult(what, False, "is not a folder")
            try:
                sftp.listdir(path)
            except PermissionError:
                return CheckResult(what, False, "cannot be listed (permission denied)")
            if writable:
                probe = f"{path}/.claimbridge-check-{secrets.token_hex(4)}"
                try:
                    sftp.open(probe, "wb").close()
                except PermissionError:
                    return CheckResult(what, False, "cannot be written (permission denied)")
                sftp.remove(probe)
        detail = "readable and writable" if writable else "readable"
        if not self._introduced:
            self._introduced = True
            detail += (
                f" (logged in as {self._options.username}; host key {session.host_key} verified)"
            )
        return CheckResult(what, True, detail)

    def close(self) -> None:
        self._drop()

    # --- transfers -----------------------------------------------------------------------

    def _download(self, folder: str, name: str, local: Path) -> tuple[int, str]:
        from connectors.files.sftp_pipeline import UnexpectedEnd, read_range

        path = self._options.remote_path(folder, name)
        where = self.location(folder, name)
        digest = hashlib.sha256()
        got = [0]
        first: list[tuple[int, int]] = []

        with local.open("wb") as out:

            def sink(data: bytes) -> None:
                out.write(data)
                digest.update(data)
                got[0] += len(data)

            def attempt(number: int) -> int:
                with self._errors(f"cannot download {where}"):
                    session = self._open()
                    sftp = session.sftp
                    with sftp.open(path, "rb") as handle:
                        seen = _size_and_time(handle.stat())
                        if not first:
                            first.append(seen)
                        elif seen != first[0]:
                            raise _changed(where, first[0], seen)
                        size = seen[0]
                        if number > 1:
                            log.info("resuming the download of %s at byte %d", where, got[0])
                        try:
                            read_range(sftp, handle, got[0], size, session.limits.read, sink)
                        except UnexpectedEnd:
                            raise _changed(
                                where, first[0], _size_and_time(sftp.stat(path))
                            ) from None
                    after = _size_and_time(sftp.stat(path))
                    if after != first[0]:
                        raise _changed(where, first[0], after)
                    return size

            size = self._attempts(
                f"download of {where}",
                attempt,
                lambda: (
                    f"{got[0]} of {first[0][0] if first else '?'} bytes received; the file "
                    "stays in place"
                ),
            )
        return size, digest.hexdigest()

    def _upload(self, spool: IO[bytes], folder: str, name: str, size: int) -> None:
        from connectors.files.sftp_pipeline import fsync, write_from

        final = self._options.remote_path(folder, name)
        part = self._options.remote_path(folder, f".{name}.part")
        folder_path = self._options.remote_path(folder)
        where = self.location(folder, name)
        acknowledged = [0]

        def progress(offset: int) -> None:
            acknowledged[0] = offset

        def attempt(number: int) -> None:
            with self._errors(f"cannot upload {where}"):
                session = self._open()
                sftp = session.sftp
                start = 0
                if number > 1:
                    held = _size_of(sftp, part)
                    if held is None:
                        if _size_of(sftp, final) == size:
                            return  # renamed just before the connection dropped
                    else:
                        # Bytes the server acknowledged are on its disk; later ones may not be
                        # (or may have landed out of order): resume from the acknowledged end.
                        start = min(held, acknowledged[0])
                    log.info("resuming the upload of %s at byte %d of %d", where, start, size)
                elif not self._exists(sftp, folder_path):
                    # Perhaps being set up or moved by the partner: tried again later.
                    raise Unavailable(
                        f"cannot upload {where}: folder {self.location(folder)} does not exist "
                        "on the server"
                    )
                spool.seek(start)
                acknowledged[0] = start
                with self._open_part(sftp, part, start) as handle:
                    write_from(
                        sftp, handle, cast(BinaryIO, spool), start, session.limits.write, progress
                    )
                    if self._options.fsync:
                        fsync(sftp, handle)
                held = _size_of(sftp, part)
                if held != size:
                    raise RetriableError(
                        f"cannot upload {where}: the server holds {held} bytes of {size} after "
                        "the upload; the file was not published"
                    )
                self._rename(sftp, part, final)

        self._attempts(
            f"upload of {where}",
            attempt,
            lambda: f"{acknowledged[0]} of {size} bytes sent; nothing published under that name",
        )

    def _open_part(self, sftp: paramiko.SFTPClient, part: str, start: int) -> paramiko.SFTPFile:
        if start:
            return sftp.open(part, "r+b")
        try:
            return sftp.open(part, "wb")
        except PermissionError:
            # A .part of someone else's (an earlier process under another account): ours to
            # replace if the folder lets us.
            if not self._exists(sftp, part):
                raise
            sftp.remove(part)
            return sftp.open(part, "wb")

    def _rename(self, sftp: paramiko.SFTPClient, part: str, final: str) -> None:
        """Give the uploaded file its final name, replacing an earlier file of that name."""
        if self._posix_rename:
            try:
                sftp.posix_rename(part, final)
                return
            except OSError as exc:
                if "unsupported" not in str(exc).lower():
                    raise
                log.info("%s has no posix-rename: falling back to rename", self._options.address)
                self._posix_rename = False
        if self._exists(sftp, final):
            # SFTP's plain rename never replaces a file. Without posix-rename the old file is
            # removed first: for a moment there is no file of that name, but never a partial.
            sftp.remove(final)
        sftp.rename(part, final)

    @staticmethod
    def _exists(sftp: paramiko.SFTPClient, path: str) -> bool:
        return _size_of(sftp, path) is not None

    def _make_folders(self, sftp: paramiko.SFTPClient, path: str) -> None:
        if path in ("", "/", ".") or self._exists(sftp, path):
            return
        self._make_folders(sftp, posixpath.dirname(path))
        try:
            sftp.mkdir(path)
        except OSError:
            if not self._exists(sftp, path):  # made meanwhile by someone else: fine
                raise


def _size_of(sftp: paramiko.SFTPClient, path: str) -> int | None:
    try:
        return sftp.stat(path).st_size or 0
    except FileNotFoundError:
        return None


def _size_and_time(attributes: paramiko.SFTPAttributes) -> tuple[int, int]:
    return attributes.st_size or 0, int(attributes.st_mtime or 0)


def _changed(where: str, before: tuple[int, int], after: tuple[int, int]) -> RetriableError:
    return RetriableError(
        f"{where} changed while it was downloaded (size {before[0]} → {after[0]} bytes): it "
        "is still being written; it stays in place for the next poll"
    )
