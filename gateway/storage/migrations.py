"""Schema migrations (Alembic), run from the CLI and checked before a job runs.

The migration scripts live in alembic/ at the top of the project; an installed claimbridge
carries them under <prefix>/share/claimbridge/alembic.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from alembic import command

__all__ = [
    "NotAtHead",
    "alembic_config",
    "current_revision",
    "ensure_at_head",
    "head_revision",
    "upgrade",
]


class NotAtHead(RuntimeError):
    """The database schema is not the one this claimbridge expects."""


def _script_location() -> Path:
    here = Path(__file__).resolve()
    candidates = [
        here.parents[2] / "alembic",  # a source checkout or an editable install
        Path(sysconfig.get_path("data")) / "share" / "claimbridge" / "alembic",
        Path(sys.prefix) / "share" / "claimbridge" / "alembic",
    ]
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError(
        "claimbridge's migration scripts are missing (looked in "
        + ", ".join(str(c) for c in candidates)
        + "); reinstall claimbridge"
    )


def alembic_config(engine: Engine) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(_script_location()))
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str | None:
    """The newest revision (several heads, while branches await their merge, are joined
    with '+')."""
    heads = sorted(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    return "+".join(heads) or None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        heads = sorted(MigrationContext.configure(connection).get_current_heads())
    return "+".join(heads) or None


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema up to `revision` (default: the newest, every branch)."""
    command.upgrade(alembic_config(engine), revision)


def ensure_at_head(engine: Engine) -> None:
    """Raises NotAtHead, with what to do, if the schema is not the newest."""
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        if current is None:
            raise NotAtHead(
                "the database has no claimbridge schema yet: run `claimbridge db upgrade`"
            )
        raise NotAtHead(
            f"the database schema is at revision {current}, this claimbridge needs {head}: "
            "run `claimbridge db upgrade`"
        )
