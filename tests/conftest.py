"""Shared fixtures: a real database per test (SQLite by default, PostgreSQL when
CLAIMBRIDGE_TEST_DATABASE_URL points at one), and a working folder initialised like
`claimbridge init` does.

With PostgreSQL, each test session creates its own database (so concurrent sessions never
meet) from the URL's server, applies the migrations once, and empties the tables between tests.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gateway.config import Config, load_config
from gateway.pipeline import RunContext
from gateway.sample.init import init_folder
from gateway.storage.database import Store, create_store
from gateway.storage.migrations import upgrade
from gateway.storage.models import metadata

TEST_DATABASE_ENV = "CLAIMBRIDGE_TEST_DATABASE_URL"
TODAY = date(2026, 11, 20)


def _is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for the whole session: a SQLite file to copy, or a PostgreSQL
    database of its own."""
    url = os.environ.get(TEST_DATABASE_ENV, "")
    if _is_postgres(url):
        name = f"cbtest_{os.getpid()}_{secrets.token_hex(4)}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        session_url = make_url(url).set(database=name).render_as_string(hide_password=False)
        store = create_store(session_url)
        upgrade(store.engine)
        store.dispose()
        try:
            yield session_url
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        path = tmp_path_factory.mktemp("db") / "template.db"
        store = create_store(f"sqlite:///{path}")
        upgrade(store.engine)
        store.dispose()
        yield str(path)


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> str:
    """An empty, migrated database for one test."""
    if _is_postgres(database_template):
        engine = create_engine(database_template)
        tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return database_template
    path = tmp_path / "test.db"
    shutil.copyfile(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = create_store(database_url)
    try:
        yield store
    finally:
        store.dispose()


def set_settle(config_path: Path, seconds: float) -> None:
    """Tests that do not test settling do not wait for files to settle."""
    text_ = config_path.read_text(encoding="utf-8")
    text_ = re.sub(
        r"(\n(\s+)folder: (erp/exports|agency/from-agency)[^\n]*\n)",
        lambda m: f"{m.group(1)}{m.group(2)}settle_seconds: {seconds}\n",
        text_,
    )
    config_path.write_text(text_, encoding="utf-8")


class Workspace:
    """A folder set up by `claimbridge init`, on the test's database."""

    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder = folder
        self.database_url = database_url
        self.config_path = folder / "claimbridge.yaml"

    def config(self) -> Config:
        return load_config(
            self.config_path, environ={"CLAIMBRIDGE_DATABASE_URL": self.database_url}
        )

    def context(self, store: Store, as_of: date = TODAY) -> RunContext:
        return RunContext(self.config(), store, as_of, lambda: datetime.now(UTC))

    def path(self, *parts: str) -> Path:
        return self.folder.joinpath(*parts)


@pytest.fixture
def workspace(tmp_path: Path, database_url: str) -> Workspace:
    folder = tmp_path / "ws"
    config = init_folder(folder, TODAY)
    set_settle(config, 0)
    return Workspace(folder, database_url)
