"""Idempotent POSTs (Stripe semantics), for agency, accounting and IT endpoints alike.

    response = run_idempotent(
        session,                      # the request's unit of work (WriteSession)
        client="agency:acme",         # or "user:alice": keys are per client
        key=request.headers.get("Idempotency-Key"),
        target=RequestTarget.of(request),  # the method and path the key is bound to
        body=raw_body,                # the bytes received
        produce=lambda: (201, {...}), # does the change in `session`, returns (status, JSON)
    )
    return response                   # a Response; "Idempotent-Replayed: true" on a replay

A key is bound to the whole request: the client (keys are per client), the method, the path
and the body. The key is stored with the SHA-256 of method, path and body and the response,
in the same transaction as the change `produce` makes: either both are committed or neither.
The same key again with the same request replays the stored response without running
`produce`; with another method, path or body it is refused (422, as the IETF draft
"The Idempotency-Key HTTP Header Field" says for a key reused with another payload): a key
used for a recall of one case can never answer for a recall of another. A POST without the
key is refused (400).

`run_detached` does the same for an action that commits its own transactions (a manual job
run, a transfer retry): the key is reserved in a transaction of its own first, the action
runs, and its answer is stored after it.

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
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header, HTTPException, Request, Response, status
from fastapi.encoders import jsonable_encoder
from sqlalchemy import delete, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from gateway.storage.database import Store
from gateway.storage.models import IdempotencyKeyRow, utcnow

__all__ = [
    "IDEMPOTENCY_HEADER",
    "IN_FLIGHT_WAIT",
    "MAX_KEY_LENGTH",
    "REPLAYED_HEADER",
    "OptionalKey",
    "Produce",
    "RequestTarget",
    "check_key",
    "run_detached",
    "run_idempotent",
]

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
IN_FLIGHT_WAIT = "10s"  # PostgreSQL lock_timeout while waiting for a concurrent same-key request

Produce = Callable[[], tuple[int, Any]]

# On the IT POSTs (run a job now, retry a transfer), where a key is welcome but not required.
OptionalKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        description="optional: 1 to 200 characters, unique per request (a UUID); the request "
        "repeated with the same key is answered as the first time and done once",
    ),
]


@dataclass(frozen=True, slots=True)
class RequestTarget:
    """What a key is bound to besides the client and the body: the method and the path."""

    method: str
    path: str

    @classmethod
    def of(cls, request: Request) -> RequestTarget:
        return cls(request.method, request.url.path)

    def fingerprint(self, body: bytes) -> str:
        """The SHA-256 of the method, the path and the body (the body's own bytes)."""
        digest = hashlib.sha256()
        head = f"{self.method.upper()} {self.path}\n".encode("utf-8", "surrogateescape")
        digest.update(head)
        digest.update(body)
        return digest.hexdigest()


def check_key(key: str | None) -> str:
    """The key if it is usable.

    Raises:
        HTTPException: 400 when it is missing, blank or longer than 200 characters.
    """
    if key is None or not key.strip():
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail=f"the {IDEMPOTENCY_HEADER} header is required on POST "
            "(a unique string per request, e.g. a UUID; 1 to 200 characters)",
        )
    if len(key) > MAX_KEY_LENGTH:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail=f"the {IDEMPOTENCY_HEADER} header is {len(key)} characters long; at most "
            f"{MAX_KEY_LENGTH} are accepted",
        )
    return key


def _response(status_code: int, body: str, replayed: bool) -> Response:
    headers = {REPLAYED_HEADER: "true"} if replayed else {}
    return Response(body, status_code, headers=headers, media_type="application/json")


def _replay(row: IdempotencyKeyRow, digest: str, key: str) -> Response:
    if row.request_sha256 != digest:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"Idempotency-Key {key!r} was already used for a different request (another "
            "method, path or body); use a new key for a new request",
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
    target: RequestTarget,
    body: bytes,
    produce: Produce,
    on_replay: Callable[[], None] | None = None,
) -> Response:
    """Run `produce` once per (client, key); see the module docstring. `on_replay` is called
    (in the request's transaction) when the stored answer is replayed instead.

    Raises:
        HTTPException: 400 (key missing or too long), 422 (key reused for another method,
            path or body), 409 (a request with the key is still in progress).
    """
    key = check_key(key)
    digest = target.fingerprint(body)
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


def run_detached(
    store: Store,
    *,
    client: str,
    key: str,
    target: RequestTarget,
    body: bytes,
    produce: Produce,
) -> Response:
    """Run `produce`, which commits its own transactions, once per (client, key).

    The key is reserved (committed, without an answer) before `produce` runs, so a concurrent
    or repeated request with it is answered 409 while `produce` runs and replays its answer
    after; if `produce` raises, the reservation is removed and the key can be used again. If
    the process dies while `produce` runs, the key stays reserved: a repeat gets 409, never a
    second run (use a new key once you have checked what the first one did).

    Raises:
        HTTPException: as `run_idempotent`, and whatever `produce` raises.
    """
    key = check_key(key)
    digest = target.fingerprint(body)
    with store.unit_of_work() as session:
        existing = _stored(session, client, key)
        if existing is not None:
            return _replay(existing, digest, key)
    try:
        with store.unit_of_work() as session:
            session.add(
                IdempotencyKeyRow(
                    client=client,
                    key=key,
                    request_sha256=digest,
                    response_body="",
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        # A concurrent request reserved the key first.
        with store.unit_of_work() as session:
            winner = _stored(session, client, key)
            if winner is None:  # pragma: no cover - removed again meanwhile
                raise
            return _replay(winner, digest, key)
    try:
        status_code, payload = produce()
    except BaseException:
        with store.unit_of_work() as session:
            session.execute(
                delete(IdempotencyKeyRow).where(
                    IdempotencyKeyRow.client == client, IdempotencyKeyRow.key == key
                )
            )
        raise
    answer = json.dumps(jsonable_encoder(payload), separators=(",", ":"))
    with store.unit_of_work() as session:
        row = _stored(session, client, key)
        if row is not None:
            row.status_code = status_code
            row.response_body = answer
    return _response(status_code, answer, replayed=False)
