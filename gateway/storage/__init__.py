"""Storage: the tables (SQLAlchemy models), the store and its units of work, the repositories
and the outbox. Repositories receive a session and never commit; a unit of work commits."""

from gateway.storage.database import Store, create_store

__all__ = ["Store", "create_store"]
