"""A real SFTP server on loopback for the tests and the benchmark.

OpenSSH's sshd when it is installed (scripts/install-system-packages installs it), else
asyncssh serving SFTP (tests/asyncssh_server.py); either runs as a process of its own, so that a
test can kill it in the middle of a transfer. `CLAIMBRIDGE_TEST_SFTP_SERVER=asyncssh` forces the
fallback.

Keys are made for each server in its folder: a host key, a client key (authorized), and a
known_hosts line. Run as root, the server logs the client in as `nobody`, so that folder
permissions are enforced for the client as they would be for a partner's account (root passes
every permission check); run as another user, it logs in as that user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.files import sftp_pipeline

SSHD = Path("/usr/sbin/sshd")
SERVER_ENV = "CLAIMBRIDGE_TEST_SFTP_SERVER"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _keygen(path: Path, kind: str = "ed25519") -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "claimbridge-test", "-f", str(path)],
        check=True,
    )


def server_kind() -> str:
    """'openssh' where sshd and ssh-keygen are installed, else 'asyncssh'."""
    wanted = os.environ.get(SERVER_ENV, "")
    if wanted in ("openssh", "asyncssh"):
        return wanted
    return "openssh" if SSHD.exists() and shutil.which("ssh-keygen") else "asyncssh"


class SftpServer:
    """An SFTP server on 127.0.0.1 with its own keys and a folder `root` the client owns."""

    def __init__(self, kind: str | None = None, extra_host_keys: tuple[str, ...] = ()) -> None:
        self.kind = kind or server_kind()
        # Not under pytest's tmp_path: that is private to root, and the client may be nobody.
        self.folder = Path(tempfile.mkdtemp(prefix="claimbridge-sftp-test-"))
        self.folder.chmod(0o755)
        self.login = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        self.user = self.login.pw_name
        self.port = _free_port()
        self.root = self.folder / "srv"
        self.mkdir(self.root)
        self.host_key = self.folder / "ssh_host_ed25519_key"
        # more host keys the server offers (e.g. "rsa"), not in known_hosts
        self.extra_host_keys = [self.folder / f"ssh_host_{kind}_key" for kind in extra_host_keys]
        self.client_key = self.folder / "client_key"
        self.known_hosts = self.folder / "known_hosts"
        self._make_keys()
        self._process: subprocess.Popen[bytes] | None = None
        self.log = self.folder / "server.log"

    # --- keys --------------------------------------------------------------------------------

    def _make_keys(self) -> None:
        if shutil.which("ssh-keygen"):
            _keygen(self.host_key)
            _keygen(self.client_key)
            for path in self.extra_host_keys:
                _keygen(path, path.name.split("_")[2])
        else:
            import asyncssh

            for path in (self.host_key, self.client_key, *self.extra_host_keys):
                algorithm = {"rsa": "ssh-rsa", "ecdsa": "ecdsa-sha2-nistp256"}.get(
                    path.name.split("_")[2] if path in self.extra_host_keys else "", "ssh-ed25519"
                )
                key = asyncssh.generate_private_key(algorithm, comment="claimbridge-test")
                key.write_private_key(str(path))
                key.write_public_key(str(path) + ".pub")
                path.chmod(0o600)
        authorized = self.folder / "authorized_keys"
        authorized.write_text(Path(f"{self.client_key}.pub").read_text())
        authorized.chmod(0o644)
        public = " ".join(Path(f"{self.host_key}.pub").read_text().split()[:2])
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {public}\n")

    @property
    def host_fingerprint(self) -> str:
        import base64
        import hashlib

        blob = base64.b64decode(Path(f"{self.host_key}.pub").read_text().split()[1])
        return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")

    # --- folders -----------------------------------------------------------------------------

    def mkdir(self, path: Path, mode: int = 0o755) -> Path:
        """A folder on the server owned by the login user (and its missing parents below
        the server's folder)."""
        missing = []
        walk = path
        while not walk.exists():
            missing.append(walk)
            walk = walk.parent
        for folder in reversed(missing):
            folder.mkdir()
            os.chown(folder, self.login.pw_uid, self.login.pw_gid)
            folder.chmod(mode)
        return path

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    # --- options -----------------------------------------------------------------------------

    def options(self, **overrides: Any) -> dict[str, Any]:
        """The `transport:` block of a connector's options for this server."""
        options: dict[str, Any] = {
            "kind": "sftp",
            "host": "127.0.0.1",
            "port": self.port,
            "username": self.user,
            "private_key_file": str(self.client_key),
            "known_hosts": str(self.known_hosts),
            "root": str(self.root),
            "timeouts": {"connect": 5, "banner": 5, "auth": 10, "channel": 10, "operation": 10},
        }
        options.update(overrides)
        return {k: v for k, v in options.items() if v is not None}

    # --- the process -------------------------------------------------------------------------

    def start(self) -> None:
        if self.kind == "openssh":
            command = self._sshd()
        else:
            command = [
                sys.executable,
                "-m",
                "tests.asyncssh_server",
                "--port",
                str(self.port),
                "--host-key",
                str(self.host_key),
                *(arg for path in self.extra_host_keys for arg in ("--host-key", str(path))),
                "--authorized-keys",
                str(self.folder / "authorized_keys"),
            ]
            if os.geteuid() == 0:
                # asyncssh runs as root here (the interpreter may not be reachable for nobody):
                # its handler enforces the login user's permissions instead
                command += ["--as-user", self.user]
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=Path(__file__).resolve().parents[1],
            )
        self._wait_until_listening()

    def _sshd(self) -> list[str]:
        config = self.folder / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.host_key}",
                    *(f"HostKey {path}" for path in self.extra_host_keys),
                    f"PidFile {self.folder / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.folder / 'authorized_keys'}",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PubkeyAuthentication yes",
                    "UsePAM no",
                    "StrictModes no",
                    "PermitRootLogin prohibit-password",
                    "Subsystem sftp internal-sftp",
                    "LogLevel VERBOSE",
                    "",
                ]
            )
        )
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        subprocess.run([str(SSHD), "-t", "-f", str(config)], check=True)
        return [str(SSHD), "-D", "-e", "-f", str(config)]

    def _wait_until_listening(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"the SFTP server stopped at once:\n{self.log.read_text()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as probe,
            ):
                probe.settimeout(2)
                if probe.recv(4) == b"SSH-":
                    return
            time.sleep(0.05)
        raise RuntimeError(f"the SFTP server did not start:\n{self.log.read_text()}")

    def sessions(self) -> list[int]:
        """Processes serving connections (OpenSSH forks one or more per connection)."""
        if self._process is None:
            return []
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        found, todo = [], [self._process.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return found

    def drop_connections(self) -> None:
        """Kill what serves the open connections; the server still accepts new ones."""
        if self.kind == "openssh":
            for pid in self.sessions():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        elif self._process is not None:
            self._process.send_signal(signal.SIGUSR1)  # tests/asyncssh_server.py drops them all

    def kill(self) -> None:
        """Kill the server and every connection it serves: nothing answers any more."""
        if self._process is None:
            return
        sessions = self.sessions()
        self._process.kill()
        self._process.wait()
        for pid in sessions:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._process = None

    def stop(self) -> None:
        self.kill()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


# --- faults at a chosen moment ---------------------------------------------------------------


def once(action: Callable[[], None]) -> Callable[[], None]:
    done: list[bool] = []

    def run() -> None:
        if not done:
            done.append(True)
            action()

    return run


def interrupt_upload(
    monkeypatch: pytest.MonkeyPatch, after: int, action: Callable[[], None]
) -> None:
    """Run `action` (kill the server...) once `after` bytes of an upload were acknowledged."""
    original = sftp_pipeline.write_from
    fire = once(action)

    def write_from(
        sftp: Any, handle: Any, source: Any, start: int, request: int, progress: Any = None
    ) -> int:
        def observe(offset: int) -> None:
            if progress is not None:
                progress(offset)
            if offset >= after:
                fire()

        return original(sftp, handle, source, start, request, observe)

    monkeypatch.setattr(sftp_pipeline, "write_from", write_from)


def interrupt_download(
    monkeypatch: pytest.MonkeyPatch, after: int, action: Callable[[], None]
) -> None:
    """Run `action` once `after` bytes of a download arrived."""
    original = sftp_pipeline.read_range
    fire = once(action)

    def read_range(sftp: Any, handle: Any, start: int, end: int, request: int, sink: Any) -> int:
        seen = [start]

        def observe(data: bytes) -> None:
            sink(data)
            seen[0] += len(data)
            if seen[0] >= after:
                fire()

        return original(sftp, handle, start, end, request, observe)

    monkeypatch.setattr(sftp_pipeline, "read_range", read_range)
