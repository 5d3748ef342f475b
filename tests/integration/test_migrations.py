"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gateway.storage.database import Store
from gateway.storage.migrations import current_revision, ensure_at_head, head_revision
from gateway.storage.models import metadata


def test_models_and_migrations_agree(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_the_test_database_is_at_the_newest_revision(store: Store) -> None:
    assert current_revision(store.engine) == head_revision(store.engine)
    ensure_at_head(store.engine)
