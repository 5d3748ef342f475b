"""`claimbridge user`: add, token, list, revoke, disable; and the tokens it prints working (or
not any more) against a real `claimbridge serve` over HTTP, whose log never shows a secret."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from gateway.cli import main
from gateway.storage.database import Store
from gateway.storage.models import CaseEventRow, CaseRow, OutboxMessageRow
from tests.integration.test_cli import folder
from tests.integration.workers import free_port, wait_for

__all__ = ["folder"]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str) -> CliRunner:
    monkeypatch.setenv("CLAIMBRIDGE_DATABASE_URL", database_url)
    return CliRunner()


def run(cli: CliRunner, folder: Path, *args: str) -> Result:
    return cli.invoke(main, ["-c", str(folder / "claimbridge.yaml"), *args])


def test_users_are_added_listed_and_disabled_and_tokens_shown_once(
    cli: CliRunner, folder: Path
) -> None:
    added = run(cli, folder, "user", "add", "alice", "--role", "accounting")
    assert added.exit_code == 0, added.output
    token = added.stdout.strip()  # the token alone on stdout, for scripts
    assert token.startswith("cbu_") and len(token.splitlines()) == 1
    token_id = token.split("_")[1]
    assert f"token {token_id} of alice; it is shown this once" in added.stderr

    second = run(cli, folder, "user", "token", "alice")
    assert second.exit_code == 0 and second.stdout.strip() != token
    third = run(cli, folder, "user", "token", "alice")
    assert third.exit_code == 1
    assert "has 2 active tokens already" in third.stderr
    assert "claimbridge user revoke alice TOKEN_ID" in third.stderr

    assert run(cli, folder, "user", "add", "ivan", "--role", "it").exit_code == 0
    listing = run(cli, folder, "user", "list")
    assert listing.exit_code == 0
    lines = listing.stdout.splitlines()
    assert lines[0].split() == [
        "user",
        "role",
        "active",
        "created",
        "token",
        "made",
        "last",
        "used",
        "revoked",
    ]
    assert sum(line.startswith("alice  accounting  yes") for line in lines) == 2
    assert any(line.startswith("ivan   it") for line in lines)
    assert token_id in listing.stdout
    assert token.split("_", 2)[2] not in listing.stdout  # never a secret

    revoked = run(cli, folder, "user", "revoke", "alice", token_id)
    assert revoked.exit_code == 0
    assert revoked.stdout.strip() == f"token {token_id} of alice revoked; 1 of 2 active tokens left"
    assert run(cli, folder, "user", "token", "alice").exit_code == 0  # room again

    disabled = run(cli, folder, "user", "disable", "ivan")
    assert disabled.stdout.strip() == "user ivan disabled: their tokens no longer work"
    refused = run(cli, folder, "user", "token", "ivan")
    assert refused.exit_code == 1 and "user 'ivan' is disabled" in refused.stderr

    for args, message in (
        (("add", "alice", "--role", "it"), "user 'alice' exists already"),
        (("add", "Alice", "--role", "it"), "lower-case letters"),
        (("token", "nobody"), "no user 'nobody'"),
        (("revoke", "alice", "000000000000"), "user 'alice' has no token '000000000000'"),
    ):
        failed = run(cli, folder, "user", *args)
        assert failed.exit_code == 1 and message in failed.stderr, failed.output
    wrong_role = run(cli, folder, "user", "add", "zoe", "--role", "boss")
    assert wrong_role.exit_code == 2 and "'boss' is not one of" in wrong_role.output


class Server:
    """`claimbridge serve --no-scheduler` in its own process, logging JSON at DEBUG."""

    def __init__(self, folder: Path, database_url: str, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self._out = log.open("wb")
        args = [sys.executable, "-c", "from gateway.cli import main; main()"]
        args += ["-c", str(folder / "claimbridge.yaml"), "--log-level", "DEBUG", "--log-json"]
        args += ["serve", "--no-scheduler", "--port", str(self.port)]
        environ = {**os.environ, "CLAIMBRIDGE_DATABASE_URL": database_url}
        self.process = subprocess.Popen(
            args, stdout=self._out, stderr=subprocess.STDOUT, env=environ
        )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)

    def up(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(self.log.read_text(errors="replace"))
        try:
            return self.http.get("/livez").status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait(30)
        self._out.close()


@pytest.fixture
def server(folder: Path, database_url: str, tmp_path: Path) -> Iterator[Server]:
    server = Server(folder, database_url, tmp_path / "serve.log")
    try:
        wait_for(server.up, 60, "claimbridge serve")
        yield server
    finally:
        server.stop()


def test_tokens_from_the_cli_open_the_api_of_a_real_server_until_revoked(
    cli: CliRunner, folder: Path, server: Server
) -> None:
    old = run(cli, folder, "user", "add", "alice", "--role", "accounting").stdout.strip()
    new = run(cli, folder, "user", "token", "alice").stdout.strip()
    ops = run(cli, folder, "user", "add", "ivan", "--role", "it").stdout.strip()

    def status(path: str, token: str | None, method: str = "GET") -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers["Idempotency-Key"] = "k-1"
        return server.http.request(method, path, headers=headers).status_code

    assert status("/v1/cases", None) == 401
    assert status("/v1/cases", old) == 200 and status("/v1/cases", new) == 200
    assert status("/v1/transfers", old) == 403 and status("/v1/transfers", ops) == 200
    assert status("/v1/cases/CB-0000001/recall", ops, "POST") == 403
    assert status("/v1/cases/CB-0000001/recall", new, "POST") == 404  # admitted; no such case

    run(cli, folder, "user", "revoke", "alice", old.split("_")[1])
    assert status("/v1/cases", old) == 401 and status("/v1/cases", new) == 200
    run(cli, folder, "user", "disable", "ivan")
    assert status("/v1/jobs", ops) == 401

    listing = run(cli, folder, "user", "list").stdout
    used = [line for line in listing.splitlines() if new.split("_")[1] in line]
    assert len(used) == 1 and used[0].count(":") == 2  # made and last used, to the minute

    server.stop()
    log = server.log.read_text(errors="replace")
    assert "GET /v1/cases" in log  # the access log is there...
    for token in (old, new, ops):
        assert token.split("_", 2)[2] not in log  # ...but never a secret


@pytest.mark.parametrize("decision", ["approve", "recall"])
def test_the_same_decision_sent_eight_times_at_once_is_made_once(
    cli: CliRunner, folder: Path, server: Server, store: Store, decision: str
) -> None:
    if decision == "approve":
        config = folder / "claimbridge.yaml"
        config.write_text(config.read_text().replace("approval: automatic", "approval: manual"))
        steps = ["--step", "extract", "--step", "select"]
    else:
        steps = []
    assert run(cli, folder, "run", *steps).exit_code in (0, 1)
    token = run(cli, folder, "user", "add", "alice", "--role", "accounting").stdout.strip()
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "same-key"}
    start = threading.Barrier(8)

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=str(server.http.base_url), timeout=60) as client:
            start.wait()
            return client.post(f"/v1/cases/CB-0000001/{decision}", headers=headers)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    replayed = [a for a in answers if a.headers.get("Idempotent-Replayed") == "true"]
    made = [a for a in answers if a.status_code == 200 and a not in replayed]
    assert len(made) == 1, [a.text for a in answers]
    # the others got the first answer again, or were told it was being made (and may repeat)
    assert all(a.json() == made[0].json() for a in replayed)
    assert all(a.status_code in (200, 409) for a in answers), [a.text for a in answers]
    kind = {"approve": "approved", "recall": "recall"}[decision]
    with store.unit_of_work(read_only=True) as session:
        events = session.scalars(
            select(CaseEventRow.kind)
            .join(CaseRow, CaseRow.id == CaseEventRow.case_id)
            .where(CaseRow.reference == "CB-0000001", CaseEventRow.origin == "creditor")
        ).all()
        notices = session.scalar(
            select(func.count())
            .select_from(OutboxMessageRow)
            .where(OutboxMessageRow.kind == "agency_notice")
        )
    assert events == [kind]
    assert notices == (1 if decision == "recall" else 0)
