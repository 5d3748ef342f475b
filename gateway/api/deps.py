"""What endpoints receive: the configuration, and one unit of work per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from gateway.config import Config
from gateway.storage.database import Store

__all__ = ["ConfigDep", "ReadSession", "WriteSession", "get_config", "get_store"]


def get_config(request: Request) -> Config:
    config: Config = request.app.state.config
    return config


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def write_session(store: Annotated[Store, Depends(get_store)]) -> Iterator[Session]:
    """The request's unit of work: committed when the endpoint returns, rolled back if it
    raises. Endpoints and the services they call never commit."""
    with store.unit_of_work() as session:
        yield session


def read_session(store: Annotated[Store, Depends(get_store)]) -> Iterator[Session]:
    with store.unit_of_work(read_only=True) as session:
        yield session


ConfigDep = Annotated[Config, Depends(get_config)]
WriteSession = Annotated[Session, Depends(write_session)]
ReadSession = Annotated[Session, Depends(read_session)]
