"""What endpoints receive: the configuration, and one unit of work per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from gateway.config import Config
from gateway.storage.database import Store

__all__ = [
    "ConfigDep",
    "ReadSession",
    "StoreDep",
    "WriteSession",
    "get_config",
    "get_store",
]


def get_config(request: Request) -> Config:
    config: Config = request.app.state.config
    return config


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def write_session(store: Annotated[Store, Depends(get_store)]) -> Iterator[Session]:
    """The request's unit of work: committed when the endpoint returns and before the answer
    is sent (an answer of success means committed), rolled back if it raises. Endpoints and
    the services they call never commit. Endpoints that change cases use `StoreDep` and
    `Store.transact` instead, which runs the unit of work again if the database aborted it to
    break a deadlock."""
    with store.unit_of_work() as session:
        yield session


def read_session(store: Annotated[Store, Depends(get_store)]) -> Iterator[Session]:
    with store.unit_of_work(read_only=True) as session:
        yield session


ConfigDep = Annotated[Config, Depends(get_config)]
StoreDep = Annotated[Store, Depends(get_store)]
# scope="function": the commit happens before the response is sent, not after it.
WriteSession = Annotated[Session, Depends(write_session, scope="function")]
ReadSession = Annotated[Session, Depends(read_session)]
