"""A real Tryton server for the session: one database built and seeded once (through Tryton's
own wizards, see simulators/tryton/seed.py), copied for the tests that write to it, every
copy served by one `trytond` on loopback.

Building costs about 40 s of CPU (module activation, then seeding), so the seeded database is
kept in pytest's cache (.pytest_cache), under a key made of the Tryton versions, the seeding
code and the business date: the next session (the PostgreSQL run after the SQLite one) copies
it instead. A copy costs milliseconds; the server loads every copy at start (Tryton serves only
the databases it loaded).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from simulators.tryton import facts as facts_module
from simulators.tryton import seed, server
from simulators.tryton.config import tryton_config, tryton_source_section
from simulators.tryton.server import TrytonHome, free_port, tryton_missing
from tests.conftest import TODAY, Workspace
from tests.integration.tryton.rpc import TrytonRpc

SEEDED = "seeded"
COPIES = 8  # databases for tests that write; raise it when a test module needs more


class TrytonSession:
    """The session's Tryton: the seeded database (read only) and fresh copies to write to."""

    def __init__(self, home: TrytonHome, facts: dict[str, Any], copies: list[str]) -> None:
        self.home = home
        self.facts = facts
        self._copies = copies

    @property
    def as_of(self) -> date:
        return date.fromisoformat(self.facts["as_of"])

    def fresh_database(self) -> str:
        """A database no other test has touched."""
        if not self._copies:
            pytest.fail(f"every Tryton copy is used: raise COPIES in {__file__}")
        return self._copies.pop(0)

    def url(self, name: str) -> str:
        return self.home.url(name)

    def password(self) -> str:
        return self.home.password_file.read_text(encoding="utf-8").strip()

    def rpc(self, name: str) -> TrytonRpc:
        return TrytonRpc(self.url(name), "admin", self.password(), self.facts["company"])

    def line(self, invoice: str) -> int:
        return int(self.facts["invoices"][invoice]["line"])

    def invoice(self, invoice: str) -> int:
        return int(self.facts["invoices"][invoice]["id"])


def _seeded_key() -> str:
    digest = hashlib.sha256(TODAY.isoformat().encode())
    for name in ("trytond", "trytond_account_invoice", "trytond_account_dunning", "proteus"):
        digest.update(f"{name}={metadata.version(name)}".encode())
    for module in (seed, facts_module, server):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:24]


def _seeded(home: TrytonHome, cache: Path | None) -> dict[str, Any]:
    """Build the seeded database, or copy it from the cache."""
    key = _seeded_key()
    if cache is not None and (cache / f"{key}.json").exists():
        home.prepare()
        shutil.copyfile(cache / f"{key}.sqlite", home.database_file(SEEDED))
        shutil.copyfile(cache / f"{key}.password", home.password_file)
        cached: dict[str, Any] = json.loads((cache / f"{key}.json").read_text(encoding="utf-8"))
        return cached
    made = home.create(SEEDED, TODAY)
    if cache is not None:
        for suffix, source in (
            ("sqlite", home.database_file(SEEDED)),
            ("password", home.password_file),
        ):
            shutil.copyfile(source, cache / f"{key}.{suffix}.part")
            os.replace(cache / f"{key}.{suffix}.part", cache / f"{key}.{suffix}")
        (cache / f"{key}.json.part").write_text(json.dumps(made), encoding="utf-8")
        os.replace(cache / f"{key}.json.part", cache / f"{key}.json")  # last: marks it whole
    return made


@pytest.fixture(scope="session")
def tryton(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[TrytonSession]:
    reason = tryton_missing()
    if reason:
        pytest.skip(reason)
    home = TrytonHome(tmp_path_factory.mktemp("tryton"), free_port())
    store = getattr(pytestconfig, "cache", None)  # absent under `-p no:cacheprovider`
    cache = store.mkdir("tryton-seeded") if store else None
    facts = _seeded(home, cache)
    copies = [f"copy_{n}" for n in range(COPIES)]
    for name in copies:
        home.copy(SEEDED, name)
    with home.serve([SEEDED, *copies]):
        yield TrytonSession(home, facts, copies)


def use_tryton(workspace: Workspace, tryton: TrytonSession, database: str) -> Workspace:
    """The workspace's ERP becomes Tryton database `database` (the configuration an
    integrator writes: simulators/tryton/config.py)."""
    section = tryton_source_section(tryton.url(database), str(tryton.home.password_file))
    text = workspace.config_path.read_text(encoding="utf-8")
    workspace.config_path.write_text(tryton_config(text, section), encoding="utf-8")
    return workspace


@pytest.fixture
def tryton_workspace(workspace: Workspace, tryton: TrytonSession) -> Workspace:
    """A workspace whose ERP is a fresh copy of the seeded Tryton."""
    return use_tryton(workspace, tryton, tryton.fresh_database())


def database_of(workspace: Workspace) -> str:
    config = workspace.config()
    url = str(config.sources["tryton"].options.base_url)  # type: ignore[attr-defined]
    return url.rstrip("/").split("/")[-2]
