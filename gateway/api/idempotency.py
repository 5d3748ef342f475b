"""Idempotent POSTs (Stripe semantics), for agency and accounting endpoints alike.

    response = run_idempotent(
        session,                      # the request's unit of work (WriteSession)
        client="agency:acme",         # or "user:alice": keys are per client
        key=request.headers.get("Idempotency-Key"),
        body=raw_body,                # the bytes received
        produce=lambda: (201, {...}), # does the change in `session`, returns (status, JSON)
    )
    return response                   # a Response; "Idempotent-Replayed: true" on a replay

The key is stored with the SHA-256 of the body and the response, in the same transaction as
the change `produce` makes: either both are committed or neither. The same key again with the
same body replays the stored response without running `produce`; with another body it is
refused (422); a POST without the key is refused (400).

Two concurrent requests with the same key never both apply: (client, key) is the primary key,
and the key row is written *before* the change. The second request waits on the first one's
row (PostgreSQL: the unique index; SQLite: the single writer), then replays its response; if
the first is still running after `IN_FLIGHT_WAIT` (PostgreSQL), the second gets 409. If
`produce` raises (an HTTPException, a bug), nothing is stored and the key can be used again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Response, status
from fastapi.encoders import jsonable_encoder
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from gateway.storage.models import IdempotencyKeyRow, utcnow

__all__ = [
    "IDEMPOTENCY_HEADER",
    "IN_FLIGHT_WAIT",
    "REPLAYED_HEADER",
    "Produce",
    "run_idempotent",
]

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
IN_FLIGHT_WAIT = "10s"  # PostgreSQL lock_timeout while waiting for a concurrent same-key request

Produce = Callable[[], tuple[int, Any]]


def _response(status_code: int, body: str, replayed: bool) -> Response:
    headers = {REPLAYED_HEADER: "true"} if replayed else {}
    return Response(body, status_code, headers=headers, media_type="application/json")


def _replay(row: IdempotencyKeyRow, digest: str, key: str) -> Response:
    if row.request_sha256 != digest:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"Idempotency-Key {key!r} was already used with a different request body; "
            "use a new key for a new request",
        )
    if row.status_code is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"a request with Idempotency-Key {key!r} is still in progress; retry later",
        )
    return _response(row.status_code, row.response_body, replayed=True)


def _replayed(response: Response, on_replay: Callable[[], None] | None) -> Response:
    if on_replay is not None:
        on_replay()
    return response


def _stored(session: Session, client: str, key: str) -> IdempotencyKeyRow | None:
    query = (
        select(IdempotencyKeyRow)
        .where(IdempotencyKeyRow.client == client, IdempotencyKeyRow.key == key)
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).first()


def run_idempotent(
    session: Session,
    *,
    client: str,
    key: str | None,
    body: bytes,
    produce: Produce,
    on_replay: Callable[[], None] | None = None,
) -> Response:
    """Run `produce` once per (client, key); see the module docstring. `on_replay` is called
    (in the request's transaction) when the stored answer is replayed instead.

    Raises:
        HTTPException: 400 (key missing or too long), 422 (key reused with another body),
            409 (a request with the key is still in progress).
    """
    if not key:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail=f"the {IDEMPOTENCY_HEADER} header is required on POST "
            "(a unique string per request, e.g. a UUID; 1 to 200 characters)",
        )
    if len(key) > MAX_KEY_LENGTH:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail=f"the {IDEMPOTENCY_HEADER} header is longer than {MAX_KEY_LENGTH} characters",
        )
    digest = hashlib.sha256(body).hexdigest()
    existing = _stored(session, client, key)
    if existing is not None:
        return _replayed(_replay(existing, digest, key), on_replay)
    row = IdempotencyKeyRow(
        client=client, key=key, request_sha256=digest, response_body="", created_at=utcnow()
    )
    postgres = session.get_bind().dialect.name == "postgresql"
    try:
        with session.begin_nested():
            if postgres:
                session.execute(text(f"SET LOCAL lock_timeout = '{IN_FLIGHT_WAIT}'"))
            session.add(row)
            session.flush()
            if postgres:
                session.execute(text("SET LOCAL lock_timeout = 0"))
    except IntegrityError:
        # A concurrent request with the same key committed first: answer as it did.
        winner = _stored(session, client, key)
        if winner is None:  # pragma: no cover - the winner's row cannot vanish
            raise
        return _replayed(_replay(winner, digest, key), on_replay)
    except DBAPIError as exc:
        if "lock timeout" in str(exc.orig).lower() or "lock_timeout" in str(exc.orig).lower():
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                detail=f"a request with Idempotency-Key {key!r} is still in progress; retry later",
            ) from None
        raise
    status_code, payload = produce()
    row.status_code = status_code
    row.response_body = json.dumps(jsonable_encoder(payload), separators=(",", ":"))
    session.flush()
    return _response(status_code, row.response_body, replayed=False)
