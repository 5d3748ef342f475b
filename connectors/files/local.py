"""Folders on this machine (or a mounted share)."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import CheckResult, ConfigurationError, ConnectionFailed, Unavailable
from connectors.files.protocol import HashingWriter, LocalCopy, RemoteEntry, Upload, sha256_of

__all__ = ["LocalFolders", "LocalTransportOptions"]


class LocalTransportOptions(BaseModel):
    """Folders on this machine; relative folders start at the configuration file's folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["local"] = "local"
    stale_partials_after: float = Field(
        default=3600,
        ge=0,
        description="seconds after which a hidden partial file of ours (.NAME.part), left by "
        "an upload that was interrupted, is removed before the next upload to its folder",
    )


class LocalFolders:
    """A `FileTransport` over local folders."""

    channel = "local"
    local_clock = True

    def __init__(self, base_dir: Path) -> None:
        self._base = base_dir

    def _dir(self, folder: str) -> Path:
        path = Path(folder)
        return path if path.is_absolute() else self._base / path

    def location(self, folder: str, name: str = "") -> str:
        path = self._dir(folder)
        return str((path / name) if name else path)

    def list(self, folder: str) -> list[RemoteEntry]:
        path = self._dir(folder)
        try:
            entries = list(os.scandir(path))
        except FileNotFoundError:
            raise ConfigurationError(f"folder {path} does not exist") from None
        except PermissionError:
            raise ConfigurationError(f"no permission to list folder {path}") from None
        except OSError as exc:
            raise ConnectionFailed(f"cannot list folder {path}: {exc.strerror}") from None
        found = []
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                continue
            stat = entry.stat(follow_symlinks=False)
            found.append(RemoteEntry(entry.name, stat.st_size, stat.st_mtime))
        return found

    @contextmanager
    def fetch(self, folder: str, name: str) -> Iterator[LocalCopy]:
        path = self._dir(folder) / name
        try:
            size, digest = sha256_of(path)
        except FileNotFoundError:
            raise ConfigurationError(f"file {path} disappeared before it could be read") from None
        except PermissionError:
            raise ConfigurationError(f"no permission to read {path}") from None
        yield LocalCopy(path, size, digest)

    @contextmanager
    def publish(self, folder: str, name: str) -> Iterator[tuple[HashingWriter, Upload]]:
        target_dir = self._dir(folder)
        # A folder that cannot be used now (a share not mounted, a permission being fixed, a
        # disk full) is a transport fault: the delivery is retried later, not given up.
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise Unavailable(f"cannot create folder {target_dir}: {exc.strerror}") from None
        final = target_dir / name
        partial = target_dir / f".{name}.{secrets.token_hex(4)}.part"
        upload = Upload(location=str(final), bytes=0, sha256="")
        try:
            with partial.open("wb") as handle:
                writer = HashingWriter(handle)
                yield writer, upload
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, final)
        except PermissionError:
            raise Unavailable(f"no permission to write in {target_dir}") from None
        except OSError as exc:
            raise Unavailable(f"cannot write {final}: {exc.strerror}") from None
        finally:
            partial.unlink(missing_ok=True)
        upload.bytes, upload.sha256 = writer.bytes, writer.sha256

    def stat(self, folder: str, name: str) -> RemoteEntry | None:
        try:
            found = (self._dir(folder) / name).stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise Unavailable(
                f"cannot look at {self._dir(folder) / name}: {exc.strerror}"
            ) from None
        return RemoteEntry(name, found.st_size, found.st_mtime)

    def partials(self, folder: str) -> tuple[RemoteEntry, ...]:
        try:
            entries = tuple(os.scandir(self._dir(folder)))
        except FileNotFoundError:
            return ()
        except OSError as exc:
            raise Unavailable(f"cannot list folder {self._dir(folder)}: {exc.strerror}") from None
        found = []
        for entry in entries:
            if entry.name.startswith(".") and entry.name.endswith(".part"):
                with contextlib.suppress(FileNotFoundError):
                    stat = entry.stat(follow_symlinks=False)
                    found.append(RemoteEntry(entry.name, stat.st_size, stat.st_mtime))
        return tuple(found)

    def remove(self, folder: str, name: str) -> None:
        (self._dir(folder) / name).unlink(missing_ok=True)

    def move(self, folder: str, name: str, to_folder: str) -> str:
        source = self._dir(folder) / name
        target_dir = self._dir(to_folder)
        target_dir.mkdir(parents=True, exist_ok=True)
        target_name = name
        if (target_dir / target_name).exists():
            stem, dot, suffix = name.partition(".")
            target_name = f"{stem}.{secrets.token_hex(3)}{dot}{suffix}"
        os.replace(source, target_dir / target_name)
        return target_name

    def check(self, folder: str, writable: bool) -> CheckResult:
        path = self._dir(folder)
        what = f"folder {path}"
        if not path.is_dir():
            return CheckResult(what, False, "does not exist")
        if not os.access(path, os.R_OK | os.X_OK):
            return CheckResult(what, False, "cannot be listed (permission)")
        if writable and not os.access(path, os.W_OK):
            return CheckResult(what, False, "cannot be written (permission)")
        return CheckResult(what, True, "readable and writable" if writable else "readable")

    def close(self) -> None:
        return None
