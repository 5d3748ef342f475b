"""Credentials: the headers that authenticate each request, and how to renew them.

- none, basic, bearer, api_key: fixed headers; a refusal is final.
- oauth2_client_credentials: a token from the token endpoint, fetched again when it expires or
  when the server refuses it.
- session: a login request opens a session (Tryton's `common.db.login`, a REST login); the
  header is built from what the login answered; on an expired session, log in again.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from typing import Any, Protocol

from connectors.base import AuthenticationFailed, ConnectorError, RemoteRejected
from connectors.rest.calls import Answer, Call
from connectors.rest.options import (
    ApiKeyAuth,
    AuthOptions,
    BasicAuth,
    BearerAuth,
    NoAuth,
    OAuth2ClientCredentials,
    RestOptions,
    SessionLogin,
)
from connectors.rest.paths import MISSING, ResponsePath
from mappings import CompiledRequest, Template, as_text, compile_request

__all__ = ["AuthClient", "Credentials", "credentials_for"]


class AuthClient(Protocol):
    """What renewing credentials asks of the client (connectors.rest.client.RestClient): to
    send a login or a token request without the credentials themselves."""

    name: str
    options: RestOptions

    @property
    def base_url(self) -> str: ...

    def prepare(self, request: CompiledRequest, values: Mapping[str, Any]) -> Call: ...

    def exchange(self, call: Call, *, authenticate: bool) -> Answer: ...

    def post_form(self, url: str, form: Mapping[str, str], auth: tuple[str, str] | None) -> Any: ...


class Credentials(Protocol):
    """What the client asks of an authentication method."""

    @property
    def expired_status(self) -> frozenset[int]:
        """Statuses after which renewing the credentials is worth one more try."""

    def headers(self) -> Mapping[str, str]:
        """The headers for the next request (may log in first)."""

    def renew(self) -> bool:
        """Get fresh credentials after a refusal; False if there is no such thing."""

    def secrets(self) -> tuple[str, ...]:
        """Every secret value in play, to blank out of messages."""


class _Fixed:
    """The same headers on every request: nothing to renew."""

    def __init__(self, headers: Mapping[str, str], secrets: tuple[str, ...]) -> None:
        self._headers = dict(headers)
        self._secrets = secrets

    @property
    def expired_status(self) -> frozenset[int]:
        return frozenset()

    def headers(self) -> Mapping[str, str]:
        return self._headers

    def renew(self) -> bool:
        return False

    def secrets(self) -> tuple[str, ...]:
        return self._secrets


class _OAuth2:
    def __init__(self, options: OAuth2ClientCredentials, client: AuthClient) -> None:
        self._options = options
        self._client = client
        self._token = ""
        self._expires = 0.0

    @property
    def expired_status(self) -> frozenset[int]:
        return frozenset({401})

    def headers(self) -> Mapping[str, str]:
        if not self._token or time.monotonic() >= self._expires:
            self._fetch()
        return {"Authorization": f"Bearer {self._token}"}

    def renew(self) -> bool:
        self._fetch()
        return True

    def secrets(self) -> tuple[str, ...]:
        return (self._options.client_secret.get_secret_value(), self._token)

    def _fetch(self) -> None:
        options = self._options
        secret = options.client_secret.get_secret_value()
        form = {"grant_type": "client_credentials", **options.extra}
        if options.scope:
            form["scope"] = options.scope
        basic: tuple[str, str] | None = None
        if options.credentials_in == "basic":
            basic = (options.client_id, secret)
        else:
            form.update(client_id=options.client_id, client_secret=secret)
        where = f"{self._client.name}: OAuth token from {options.token_url}"
        try:
            answer = self._client.post_form(options.token_url, form, basic)
        except (RemoteRejected, AuthenticationFailed) as exc:
            raise AuthenticationFailed(f"{where} refused: {exc}") from None
        token = answer.get("access_token") if isinstance(answer, Mapping) else None
        if not isinstance(token, str) or not token:
            raise AuthenticationFailed(f"{where}: the answer has no access_token")
        lifetime = answer.get("expires_in")
        seconds = float(lifetime) if isinstance(lifetime, int | float | str) and lifetime else 3600
        self._token = token
        self._expires = time.monotonic() + max(0.0, seconds - options.refresh_margin_seconds)


class _Session:
    def __init__(self, options: SessionLogin, client: AuthClient) -> None:
        self._options = options
        self._client = client
        self._login = compile_request(options.login, "auth.login")
        self._token = Template(options.token, "auth.token")
        self._captures = {name: ResponsePath(path) for name, path in options.capture.items()}
        self._value = ""

    @property
    def expired_status(self) -> frozenset[int]:
        return frozenset(self._options.expired_status)

    def headers(self) -> Mapping[str, str]:
        if not self._value:
            self._log_in()
        return {self._options.header: self._value}

    def renew(self) -> bool:
        self._log_in()
        return True

    def secrets(self) -> tuple[str, ...]:
        return (self._options.password.get_secret_value(), self._value.split(" ")[-1])

    def _log_in(self) -> None:
        options = self._options
        values: dict[str, Any] = {
            **self._client.options.variables,
            "username": options.username,
            "password": options.password.get_secret_value(),
        }
        call = self._client.prepare(self._login, values)
        where = f"{self._client.name}: login ({call.describe(self._client.base_url)})"
        try:
            answer = self._client.exchange(call, authenticate=False)
        except AuthenticationFailed as exc:
            raise AuthenticationFailed(f"{where} refused: {exc}") from None
        except RemoteRejected as exc:
            raise AuthenticationFailed(f"{where} refused: {exc}") from None
        except ConnectorError:
            raise
        for name, path in self._captures.items():
            found = path.find(answer.payload)
            if found is MISSING or found is None or found == "":
                raise AuthenticationFailed(f"{where}: the answer has nothing at {path}")
            values[name] = found
        token = as_text(self._token.render(values))
        if options.encoding == "base64":
            token = base64.b64encode(token.encode("utf-8")).decode("ascii")
        self._value = f"{options.scheme} {token}" if options.scheme else token


def credentials_for(options: AuthOptions, client: AuthClient) -> Credentials:
    """The credentials an `auth` option describes."""
    if isinstance(options, NoAuth):
        return _Fixed({}, ())
    if isinstance(options, BasicAuth):
        password = options.password.get_secret_value()
        pair = base64.b64encode(f"{options.username}:{password}".encode()).decode("ascii")
        return _Fixed({"Authorization": f"Basic {pair}"}, (password, pair))
    if isinstance(options, BearerAuth):
        token = options.token.get_secret_value()
        return _Fixed({"Authorization": f"Bearer {token}"}, (token,))
    if isinstance(options, ApiKeyAuth):
        key = options.key.get_secret_value()
        return _Fixed({options.header: f"{options.prefix}{key}"}, (key,))
    if isinstance(options, OAuth2ClientCredentials):
        return _OAuth2(options, client)
    return _Session(options, client)
