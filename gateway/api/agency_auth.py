"""Who is calling the agency API: the agency behind the API key, checked once per request.

Every agency endpoint depends on `agency_scope(...)`, which
- finds the key in `Authorization: Bearer cbk_...` (401 when missing, unknown or revoked),
- checks the request signature `X-Signature: t=<unix>,v1=<hex>` when the agency has a signing
  secret (401 when it is wrong or more than 300 s old; 401 when missing and the agency's
  configuration requires it),
- takes a token from the key's rate-limit bucket (429 with Retry-After),
- checks the scope the endpoint needs (403).
Endpoints then scope every query by `AgencyClient.agency`, so another agency's case is
simply not found (404). Neither the key nor the signing secret is ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from gateway.api.deps import get_config, get_store
from gateway.api.limits import RateLimiter, retry_after
from gateway.config import Config
from gateway.storage.database import Store
from gateway.storage.models import utcnow
from gateway.storage.repositories.agency_keys import AgencyKeys

__all__ = [
    "SIGNATURE_TOLERANCE",
    "AgencyClient",
    "CasesReader",
    "EventsWriter",
    "NoticesReader",
    "agency_client",
    "agency_scope",
    "sign",
]

SIGNATURE_TOLERANCE = 300  # seconds
_LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is refreshed at most this often


@dataclass(frozen=True, slots=True)
class AgencyClient:
    """The authenticated caller: an agency, through one of its keys."""

    agency: str
    key_id: str
    scopes: frozenset[str]

    @property
    def client(self) -> str:
        """Its name for idempotency keys and logs."""
        return f"agency:{self.agency}"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Signature` header value for `body` sent at `timestamp` (what agencies compute)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def raw_body(request: Request) -> bytes:
    """The request body as received (Starlette keeps it for the endpoint to parse again)."""
    return await request.body()


def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter | None = getattr(request.app.state, "agency_rate_limiter", None)
    if limiter is None:
        limiter = request.app.state.agency_rate_limiter = RateLimiter()
    return limiter


def _check_signature(header: str | None, secret: str, body: bytes, required: bool) -> None:
    if header is None:
        if required:
            raise _unauthorized("this agency must sign its requests: X-Signature header missing")
        return
    parts: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts.get("t", [""])[0])
    except ValueError:
        raise _unauthorized("X-Signature: t=<unix seconds> missing or not a number") from None
    if abs(time.time() - timestamp) > SIGNATURE_TOLERANCE:
        raise _unauthorized(
            f"X-Signature: timestamp {timestamp} is more than {SIGNATURE_TOLERANCE} s away "
            "from the server's time"
        )
    expected = sign(secret, timestamp, body).partition(",v1=")[2]
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise _unauthorized("X-Signature does not match the request body")


def agency_client(
    request: Request,
    body: Annotated[bytes, Depends(raw_body)],
    config: Annotated[Config, Depends(get_config)],
    store: Annotated[Store, Depends(get_store)],
) -> AgencyClient:
    """The calling agency (see the module docstring)."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("missing API key: send Authorization: Bearer <key>")
    with store.unit_of_work(read_only=True) as session:
        row = AgencyKeys(session).verify(token.strip())
        found = (row.key_id, row.agency, row.scopes, row.last_used_at) if row else None
    if found is None:
        raise _unauthorized("unknown or revoked API key")
    key_id, agency, scopes, last_used = found
    setup = config.agencies.get(agency)
    if setup is None:
        raise _unauthorized(f"API key {key_id} belongs to agency {agency}, not configured")
    api = setup.config.api
    secret = api.signing_secret.get_secret_value() if api.signing_secret else None
    if secret is not None:
        _check_signature(request.headers.get("x-signature"), secret, body, api.require_signature)
    wait = _limiter(request).take(key_id, api.rate_limit, api.burst)
    if wait:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"rate limit of {api.rate_limit:g} requests per second exceeded for key "
            f"{key_id}; retry in {retry_after(wait)} s",
            headers={"Retry-After": retry_after(wait)},
        )
    now = utcnow()
    if last_used is None or now - last_used > _LAST_USED_EVERY:
        with store.unit_of_work() as session:
            fresh = AgencyKeys(session).verify(token.strip())
            if fresh is not None:
                fresh.last_used_at = now
    return AgencyClient(agency, key_id, frozenset(scopes.split()))


def agency_scope(scope: str) -> Callable[[AgencyClient], AgencyClient]:
    """A dependency: the calling agency, provided its key has `scope` (else 403)."""

    def dependency(client: Annotated[AgencyClient, Depends(agency_client)]) -> AgencyClient:
        if scope not in client.scopes:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"API key {client.key_id} lacks the scope {scope}",
            )
        return client

    return dependency


CasesReader = Annotated[AgencyClient, Depends(agency_scope("cases:read"))]
EventsWriter = Annotated[AgencyClient, Depends(agency_scope("events:write"))]
NoticesReader = Annotated[AgencyClient, Depends(agency_scope("notices:read"))]
