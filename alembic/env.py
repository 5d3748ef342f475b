"""Alembic environment: migrations run on the engine claimbridge passes in (`claimbridge db
upgrade`), or on `-x url=...` from Alembic's own command line."""

from __future__ import annotations

from sqlalchemy import Engine

from alembic import context
from gateway.storage.database import create_store
from gateway.storage.models import UtcDateTime, metadata

config = context.config


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Migrations must not import the models: render our UtcDateTime as what it stores."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine  # type: ignore[no-any-return]
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("pass the database with -x url=sqlite:///path.db")
    return create_store(url).engine


def run_migrations() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=_render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run_migrations()
