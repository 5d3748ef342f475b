"""A real Tryton server on loopback, for the demo and the tests: its folder (configuration,
admin password, SQLite databases), creating and seeding a database, and running the server.

Tryton runs in processes of its own (trytond-admin, the seeding program, the server):
claimbridge talks to it over HTTP only.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

__all__ = [
    "ADMIN_LOGIN",
    "MODULES",
    "TrytonHome",
    "TrytonServer",
    "TrytonUnavailable",
    "free_port",
    "tryton_missing",
]

MODULES = ("account_invoice", "account_dunning")
ADMIN_LOGIN = "admin"
_DISTRIBUTIONS = ("trytond", "trytond_account_invoice", "trytond_account_dunning", "proteus")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_ADMIN = "import sys; from trytond.cli.admin import main; sys.exit(main())"


class TrytonUnavailable(Exception):
    """Tryton is not installed, or a Tryton program failed (the message says which)."""


def tryton_missing() -> str | None:
    """Why Tryton cannot run here, or None. Looks at the installed distributions only: nothing
    of Tryton is imported into this process."""
    missing = []
    for name in _DISTRIBUTIONS:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        if not version.startswith("8.2."):
            missing.append(f"{name} 8.2 (found {version})")
    if missing:
        return (
            f"Tryton is not installed ({', '.join(missing)} missing); install it with "
            "pip install 'claimbridge[tryton]'"
        )
    return None


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TrytonHome:
    """The folder of a Tryton installation: trytond.conf, the admin password, databases/."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.config = folder / "trytond.conf"
        self.password_file = folder / "admin-password"
        self.databases = folder / "databases"
        self.log = folder / "trytond.log"

    def prepare(self) -> None:
        """Write the configuration and the password file (again: the port may change)."""
        self.databases.mkdir(parents=True, exist_ok=True)
        self.config.write_text(
            "[database]\n"
            "uri = sqlite://\n"
            f"path = {self.databases}\n"
            "[web]\n"
            f"listen = 127.0.0.1:{self.port}\n",
            encoding="utf-8",
        )
        if not self.password_file.exists():  # the admin's password: made once, kept
            self.password_file.write_text(secrets.token_urlsafe(16) + "\n", encoding="utf-8")
            self.password_file.chmod(0o600)

    def database_file(self, name: str) -> Path:
        return self.databases / f"{name}.sqlite"

    def url(self, name: str) -> str:
        """The JSON-RPC endpoint of database `name`."""
        return f"http://127.0.0.1:{self.port}/{name}/rpc/"

    def create(self, name: str, as_of: date) -> dict[str, Any]:
        """A new database with the accounting modules, seeded as of `as_of` (see seed.py);
        returns what the seeding made."""
        _check_name(name)
        self.prepare()
        path = self.database_file(name)
        if path.exists():
            raise TrytonUnavailable(f"database {name} already exists in {self.databases}")
        path.touch()
        environment = {**os.environ, "TRYTONPASSFILE": str(self.password_file)}
        self._run(
            [
                sys.executable,
                "-c",
                _ADMIN,
                "-c",
                str(self.config),
                "-d",
                name,
                "--all",
                "--activate-dependencies",
                "-u",
                *MODULES,
                "--email",
                "admin@example.com",
            ],
            "trytond-admin",
            environment,
        )
        out = self._run(
            [
                sys.executable,
                "-m",
                "simulators.tryton.seed",
                "seed",
                "-c",
                str(self.config),
                "-d",
                name,
                "--as-of",
                as_of.isoformat(),
            ],
            "seeding",
        )
        facts: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return facts

    def copy(self, source: str, target: str) -> None:
        """A copy of a database under another name (milliseconds; the server must not be
        writing to `source`)."""
        _check_name(target)
        shutil.copyfile(self.database_file(source), self.database_file(target))

    def pay(self, name: str, invoice: int, on: date, amount: Decimal | None = None) -> str:
        """The debtor pays invoice `invoice` to the bank (a direct payment); returns the
        invoice's state afterwards."""
        command = [
            sys.executable,
            "-m",
            "simulators.tryton.seed",
            "pay",
            "-c",
            str(self.config),
            "-d",
            name,
            "--invoice",
            str(invoice),
            "--date",
            on.isoformat(),
        ]
        if amount is not None:
            command += ["--amount", str(amount)]
        out = self._run(command, "payment")
        return str(json.loads(out.strip().splitlines()[-1])["state"])

    def open_books(self, name: str, through: date) -> date:
        """Open the fiscal years database `name` needs for moves dated up to `through` (see
        seed.py, `books`; the server must not be writing to it); returns the last day its books
        now cover."""
        out = self._run(
            [
                sys.executable,
                "-m",
                "simulators.tryton.seed",
                "books",
                "-c",
                str(self.config),
                "-d",
                name,
                "--through",
                through.isoformat(),
            ],
            "opening the books",
        )
        return date.fromisoformat(json.loads(out.strip().splitlines()[-1])["books_until"])

    def serve(self, names: Sequence[str]) -> TrytonServer:
        """A server for databases `names` (start it with `with`)."""
        return TrytonServer(self, list(names))

    def _run(self, command: list[str], what: str, environment: dict[str, str] | None = None) -> str:
        try:
            done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
                command,
                capture_output=True,
                text=True,
                env=environment,
                timeout=600,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TrytonUnavailable(f"Tryton {what} failed: {exc}") from None
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise TrytonUnavailable(f"Tryton {what} failed (exit {done.returncode}):\n{tail}")
        return done.stdout


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a database name (a-z, 0-9, _; a letter first)")


class TrytonServer:
    """A running `trytond` for some databases of a home; a context manager."""

    def __init__(self, home: TrytonHome, names: list[str]) -> None:
        self.home = home
        self.names = names
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> TrytonServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, timeout: float = 120) -> None:
        """Start the server and wait until it answers (its databases are loaded first)."""
        home = self.home
        home.prepare()
        with home.log.open("ab") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, "-m", "trytond.cli", "-c", str(home.config), "-d", *self.names],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{home.port}/rpc/",
                    json={"id": 0, "method": "common.server.version", "params": []},
                    timeout=2,
                )
                if answer.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        tail = "\n".join(home.log.read_text(errors="replace").splitlines()[-15:])
        raise TrytonUnavailable(f"the Tryton server did not start on port {home.port}:\n{tail}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
