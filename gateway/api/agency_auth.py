"""Who is calling the agency API: the agency behind the API key, checked once per request.

Every agency endpoint depends on `agency_scope(...)`, which
- finds the key in `Authorization: Bearer cbk_...` (401 when missing, unknown or revoked),
- checks the request signature `X-Signature: t=<unix>,v2=<hex>` (gateway.agency_signatures:
  method, path and query, timestamp and body; the deprecated body-only v1 where the agency's
  `accept_v1_signatures` allows it) when the agency has a signing secret (401 when it is wrong
  or more than 300 s old; 401 when missing and the agency's configuration requires it),
- takes a token from the key's rate-limit bucket (429 with Retry-After),
- checks the scope the endpoint needs (403).
Endpoints then scope every query by `AgencyClient.agency`, so another agency's case is
simply not found (404). Neither the key nor the signing secret is ever logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from gateway.agency_signatures import (
    SIGNATURE_TOLERANCE,
    SignatureRefused,
    signature_header,
    verify_signature,
)
from gateway.api.deps import get_config, get_store
from gateway.api.limits import RateLimiter, retry_after
from gateway.api.security import refused_token
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

log = logging.getLogger(__name__)
_V1_WARNING_EVERY = 600.0  # seconds: a v1 agency is named in the log this often, not per request
_v1_warned: dict[str, float] = {}
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


def sign(secret: str, timestamp: int, method: str, target: str, body: bytes) -> str:
    """The `X-Signature` header value of a request (what agencies compute; version 2)."""
    return signature_header(secret, timestamp, method, target, body)


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


def request_target(request: Request) -> str:
    """The path and query of a request as the client sent them (what v2 signs)."""
    raw_path = request.scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else request.url.path
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{path}?{query}" if query else path


def _refused_key(request: Request, store: Store, config: Config) -> HTTPException:
    """401, or 429 once the client's address is past its failed authentications."""
    refused = refused_token(request, store, config, "unknown or revoked API key")
    if refused.status_code == status.HTTP_401_UNAUTHORIZED:
        return _unauthorized("unknown or revoked API key")  # the agency API's own challenge
    return refused


def _check_signature(
    request: Request, agency: str, secret: str, body: bytes, required: bool, accept_v1: bool
) -> None:
    header = request.headers.get("x-signature")
    if header is None:
        if required:
            raise _unauthorized("this agency must sign its requests: X-Signature header missing")
        return
    try:
        version = verify_signature(
            header, secret, request.method, request_target(request), body, accept_v1=accept_v1
        )
    except SignatureRefused as exc:
        raise _unauthorized(str(exc)) from None
    now = time.monotonic()
    if version == "v1" and now - _v1_warned.get(agency, -_V1_WARNING_EVERY) >= _V1_WARNING_EVERY:
        _v1_warned[agency] = now
        log.warning(
            "agency %s signed a request with the deprecated X-Signature v1 (body only): "
            "ask it to sign with v2, then set accept_v1_signatures: false",
            agency,
        )


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
        raise _refused_key(request, store, config)
    key_id, agency, scopes, last_used = found
    setup = config.agencies.get(agency)
    if setup is None:
        raise _unauthorized(f"API key {key_id} belongs to agency {agency}, not configured")
    api = setup.config.api
    secret = api.signing_secret.get_secret_value() if api.signing_secret else None
    if secret is not None:
        _check_signature(
            request, agency, secret, body, api.require_signature, api.accept_v1_signatures
        )
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
