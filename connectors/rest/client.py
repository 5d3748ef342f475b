"""One HTTP client for an ERP's API: authenticated, retried, every answer classified once.

    2xx                  the answer (JSON; for JSON-RPC its `result`)
                         a JSON-RPC `error` (sent with 200)  → RemoteRejected
                         not JSON, or no result              → FormatError
    timeout, dropped     retried with backoff                → ConnectionFailed
    429                  waits Retry-After, retried          → RetriableError
    5xx                  retried with backoff                → RetriableError
    401 (configurable)   credentials renewed once (session, OAuth) and retried
    401, 403             → AuthenticationFailed
    404, 405, 3xx        → ConfigurationError (the endpoint is not what the configuration says)
    other 4xx            → RemoteRejected

Every error names the connector, the endpoint and what the server said; known secrets are
blanked out of anything the server sends back.
"""

from __future__ import annotations

import logging
import random
import re
import ssl
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx

from connectors.base import (
    AuthenticationFailed,
    ConfigurationError,
    ConnectionFailed,
    ConnectorError,
    FormatError,
    RemoteRejected,
    RetriableError,
)
from connectors.rest.auth import Credentials, credentials_for
from connectors.rest.calls import Answer, Call
from connectors.rest.codec import ValueCodec, codec_for
from connectors.rest.options import RestOptions
from mappings import CompiledRequest, as_text

__all__ = ["RestClient"]

log = logging.getLogger(__name__)

_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")
MESSAGE_LIMIT = 300


class RestClient:
    """Sends calls for one connector. Not thread-safe; close it when done."""

    def __init__(
        self,
        options: RestOptions,
        name: str,
        base_dir: Path,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.options = options
        self.codec: ValueCodec = codec_for(options.value_format, options.decimals)
        self._sleep = sleep
        self._rpc_id = 0
        verify: ssl.SSLContext | bool = options.verify_tls
        if options.verify_tls and options.ca_file:
            ca = Path(options.ca_file)
            ca = ca if ca.is_absolute() else base_dir / ca
            try:
                verify = ssl.create_default_context(cafile=str(ca))
            except (OSError, ssl.SSLError) as exc:
                raise ConfigurationError(f"{name}: cannot read ca_file {ca}: {exc}") from None
        self._http = httpx.Client(
            base_url=options.base_url,
            timeout=options.timeout_seconds,
            verify=verify,
            headers={"Accept": "application/json", **options.headers},
            follow_redirects=False,
        )
        self.credentials: Credentials = credentials_for(options.auth, self)

    @property
    def base_url(self) -> str:
        return self.options.base_url

    def close(self) -> None:
        self._http.close()

    # --- building calls ------------------------------------------------------------------

    def prepare(self, request: CompiledRequest, values: Mapping[str, Any]) -> Call:
        """Fill in a request layout. Raises TemplateError if a value is missing."""
        layout = request.layout
        path = as_text(request.path.render(values))
        rendered = request.query.render(values)
        query = {str(k): as_text(v) for k, v in rendered.items() if v is not None and v != ""}
        return Call(
            method=layout.http_method,
            url=path,
            query=query,
            payload=request.payload.render(values),
            rpc=layout.call,
        )

    # --- sending -------------------------------------------------------------------------

    def send(self, call: Call) -> Answer:
        """Send an authenticated call; see the module docstring for what it raises."""
        return self.exchange(call, authenticate=True)

    def exchange(self, call: Call, *, authenticate: bool) -> Answer:
        """Send a call, with the credentials or without (a login), retried and classified."""
        content, headers = self._body(call)
        response = self._request(
            call.describe(self.base_url),
            lambda extra: self._http.request(
                call.method,
                call.url,
                params=dict(call.query) or None,
                content=content,
                headers={**headers, **extra},
            ),
            authenticate,
        )
        return self._answer(call, response)

    def post_form(self, url: str, form: Mapping[str, str], auth: tuple[str, str] | None) -> Any:
        """POST a form without the connector's credentials (an OAuth token request); returns
        the JSON answer."""
        what = f"POST {url}"
        response = self._request(
            what,
            lambda extra: self._http.post(
                url, data=dict(form), auth=auth if auth else httpx.USE_CLIENT_DEFAULT
            ),
            authenticate=False,
        )
        return self._json(what, response)

    def _body(self, call: Call) -> tuple[bytes | None, dict[str, str]]:
        if call.rpc is not None:
            self._rpc_id += 1
            envelope: dict[str, Any] = {"id": self._rpc_id, "method": call.rpc}
            if self.options.rpc_version:
                envelope = {"jsonrpc": self.options.rpc_version, **envelope}
            envelope["params"] = call.payload if call.payload is not None else []
            payload: Any = envelope
        elif call.payload is None:
            return None, {}
        else:
            payload = call.payload
        try:
            content = self.codec.dumps(payload)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"{self.name}: {call.describe(self.base_url)}: {exc}"
            ) from None
        return content, {"Content-Type": "application/json"}

    def _request(
        self,
        what: str,
        send: Callable[[Mapping[str, str]], httpx.Response],
        authenticate: bool,
    ) -> httpx.Response:
        retry = self.options.retry
        attempt = 0
        renewed = False
        while True:
            attempt += 1
            last = attempt >= retry.attempts
            extra = dict(self.credentials.headers()) if authenticate else {}
            started = time.monotonic()
            try:
                response = send(extra)
            except httpx.TimeoutException:
                if last:
                    raise ConnectionFailed(
                        f"{self.name}: {what}: no answer within {self.options.timeout_seconds:g} s "
                        f"({attempt} attempts)"
                    ) from None
                self._backoff(attempt)
                continue
            except httpx.TransportError as exc:
                if _certificate_refused(exc):
                    raise AuthenticationFailed(
                        f"{self.name}: {what}: the server's TLS certificate is not trusted "
                        f"({self.redact(str(exc))}); trust its CA with `ca_file`"
                    ) from None
                if last:
                    raise ConnectionFailed(
                        f"{self.name}: {what}: cannot reach the server: {self.redact(str(exc))} "
                        f"({attempt} attempts)"
                    ) from None
                self._backoff(attempt)
                continue
            status = response.status_code
            log.debug("%s: HTTP %s in %.3f s", what, status, time.monotonic() - started)
            if status == HTTPStatus.TOO_MANY_REQUESTS:
                wait = _retry_after(response)
                if wait is not None and wait > retry.max_retry_after_seconds:
                    raise RetriableError(
                        f"{self.name}: {what}: rate limited; the server asks to wait "
                        f"{wait:g} s (more than max_retry_after_seconds)"
                    )
                if last:
                    raise RetriableError(
                        f"{self.name}: {what}: rate limited (HTTP 429) after {attempt} attempts: "
                        f"{self._message(response)}"
                    )
                if wait is None:
                    self._backoff(attempt)
                else:
                    self._sleep(wait)
                continue
            if status >= 500:
                if last:
                    raise RetriableError(
                        f"{self.name}: {what}: {_status(response)} after {attempt} attempts: "
                        f"{self._message(response)}"
                    )
                self._backoff(attempt)
                continue
            if (
                authenticate
                and status in self.credentials.expired_status
                and not renewed
                and self.credentials.renew()
            ):
                renewed = True
                attempt -= 1  # a renewed session is a new start, not a failed attempt
                continue
            if status >= 300:
                raise self._refused(what, response)
            return response

    def _refused(self, what: str, response: httpx.Response) -> ConnectorError:
        status = response.status_code
        text = f"{self.name}: {what}: {_status(response)}: {self._message(response)}"
        if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            return AuthenticationFailed(text)
        if status in (HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED):
            return ConfigurationError(text)
        if status < 400:
            where = response.headers.get("Location", "")
            return ConfigurationError(
                f"{self.name}: {what}: redirected ({status}) to {self.redact(where)}; "
                "configure the final address"
            )
        return RemoteRejected(text)

    def _answer(self, call: Call, response: httpx.Response) -> Answer:
        what = call.describe(self.base_url)
        payload = self._json(what, response)
        if call.rpc is not None:
            if not isinstance(payload, Mapping):
                raise FormatError(f"{self.name}: {what}: the answer is not a JSON-RPC object")
            error = payload.get("error")
            if error is not None:
                raise _rpc_error(f"{self.name}: {what}", self.redact(_rpc_message(error)), error)
            if "result" not in payload:
                raise FormatError(f"{self.name}: {what}: the answer has neither result nor error")
            payload = payload["result"]
        return Answer(payload, response.headers, len(response.content))

    def _json(self, what: str, response: httpx.Response) -> Any:
        content = response.content
        if not content.strip():
            return None
        try:
            return self.codec.loads(content)
        except (ValueError, RecursionError) as exc:
            shown = self.redact(_SPACES.sub(" ", content[:80].decode("utf-8", "replace")))
            raise FormatError(
                f"{self.name}: {what}: the answer is not valid JSON ({exc}); it starts with "
                f"{shown!r}"
            ) from None

    def _backoff(self, attempt: int) -> None:
        retry = self.options.retry
        ceiling = min(retry.max_backoff_seconds, retry.backoff_seconds * 2 ** (attempt - 1))
        self._sleep(random.uniform(0, ceiling))  # noqa: S311 - jitter, not security

    def _message(self, response: httpx.Response) -> str:
        return self.redact(_server_message(response))

    def redact(self, text: str) -> str:
        """`text` with every known secret blanked out."""
        for secret in self.credentials.secrets():
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text


def _status(response: httpx.Response) -> str:
    try:
        phrase = HTTPStatus(response.status_code).phrase
    except ValueError:
        phrase = ""
    return f"HTTP {response.status_code} {phrase}".rstrip()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _certificate_refused(exc: httpx.TransportError) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _server_message(response: httpx.Response) -> str:
    """What the server said about an error, short: a JSON message field, or the text."""
    content = response.content
    if not content.strip():
        return "(no message)"
    try:
        body = response.json()
    except ValueError:
        body = None
    if body is not None:
        text = _message_of(body)
    else:
        text = _TAGS.sub(" ", content[:4000].decode("utf-8", "replace"))
    text = _SPACES.sub(" ", text).strip() or "(no message)"
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def _message_of(body: Any) -> str:
    if isinstance(body, Mapping):
        for key in ("message", "error_description", "detail", "error", "title", "errors"):
            value = body.get(key)
            if value:
                return _message_of(value)
        return str(body)
    if isinstance(body, list):
        return "; ".join(_message_of(v) for v in body[:5])
    return str(body)


def _rpc_message(error: Any) -> str:
    """A JSON-RPC error in words: 2.0 `{"code", "message", "data"}` or Tryton's
    `["UserError", [message, description, ...]]`."""
    if isinstance(error, Mapping):
        message = str(error.get("message") or error)
        data = error.get("data")
        if isinstance(data, str) and data:
            message = f"{message}: {data}"
        elif isinstance(data, Mapping) and data.get("message"):
            message = f"{message}: {data['message']}"
        code = error.get("code")
        return f"{message} (code {code})" if code is not None else message
    if isinstance(error, list) and error:
        name = str(error[0])
        details: list[str] = []
        for part in error[1:]:
            items = part if isinstance(part, list) else [part]
            details.extend(str(p) for p in items if isinstance(p, str) and p)
        return f"{name}: {' - '.join(details)}" if details else name
    return str(error)


def _rpc_error(where: str, message: str, error: Any) -> ConnectorError:
    if isinstance(error, Mapping) and error.get("code") == -32601:
        return ConfigurationError(f"{where}: the server has no such method: {message}")
    return RemoteRejected(f"{where}: the server refused: {message}")
