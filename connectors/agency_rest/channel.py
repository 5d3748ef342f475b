"""The `rest-push` agency channel: cases and notices POSTed to an agency's own REST API.

    submit(batch)       POST {base_url}/cases, one case each,      Idempotency-Key: <reference>
    send_notices(...)   POST {base_url}/cases/{ref}/recall
                        POST {base_url}/cases/{ref}/direct-payments, Idempotency-Key: <notice id>

How an answer is taken (once, here):

    2xx                                   delivered
    2xx with {"success": false, ...}      refused, that case or notice alone (some agencies
                                          answer business errors this way)
    401, 403                              AuthenticationFailed
    other 4xx                             refused, that case or notice alone, with the
                                          agency's message
    408, 429, 5xx, timeout, no connection RetriableError: the handover or the relay tries the
                                          whole lot again later, with backoff

Every request carries an Idempotency-Key, so sending again what was already received (a
retry, or a run that crashed half-way through a batch) creates nothing twice. The agency
reports back through claimbridge's agency API; this channel has no updates to fetch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from connectors.agency_rest.options import RestPushOptions
from connectors.agency_rest.payload import case_body, notice_body
from connectors.base import (
    AuthenticationFailed,
    CheckResult,
    ConnectionFailed,
    ConnectorContext,
    Delivery,
    DeliveryBatch,
    RemoteRejected,
    RetriableError,
    Snapshot,
)
from connectors.rest.options import BasicAuth, BearerAuth
from gateway.domain.handover import AgencyNotice, HandoverBatch, NoticeKind

__all__ = ["RestPushChannel"]

CHANNEL = "rest-push"
_RETRIABLE_STATUS = frozenset({408, 425, 429})


class RestPushChannel:
    """The `rest-push` channel (see the module docstring)."""

    Options = RestPushOptions

    def __init__(
        self,
        options: RestPushOptions,
        context: ConnectorContext,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = context.name
        self._options = options
        self._secrets: tuple[str, ...] = ()
        auth: httpx.Auth | None = None
        headers = {"Accept": "application/json", "User-Agent": "claimbridge"}
        if isinstance(options.auth, BearerAuth):
            token = options.auth.token.get_secret_value()
            headers["Authorization"] = f"Bearer {token}"
            self._secrets = (token,)
        elif isinstance(options.auth, BasicAuth):
            password = options.auth.password.get_secret_value()
            auth = httpx.BasicAuth(options.auth.username, password)
            self._secrets = (password,)
        self._http = httpx.Client(
            base_url=options.base_url,
            timeout=options.timeout_seconds,
            verify=options.verify_tls,
            headers=headers,
            auth=auth,
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    # --- out ---------------------------------------------------------------------------------

    def submit(self, batch: HandoverBatch) -> Delivery:
        """Create every case of the batch at the agency.

        A refused case does not stop the others; once all were tried, RemoteRejected names
        each refused case with the agency's message (the batch stays pending and is sent
        again on the next run, which the agency takes as replays for the cases it has).

        Raises:
            RetriableError: the agency is unreachable or busy (nothing is lost: resent later).
            AuthenticationFailed: the agency refused our credentials.
            RemoteRejected: the agency refused one or more cases.
        """
        sent = 0
        refused: list[str] = []
        for case in batch.cases:
            body = _dumps(case_body(batch, case))
            sent += len(body)
            what = f"case {case.reference}"
            problem = self._post(self._options.cases_path, body, case.reference, what)
            if problem:
                refused.append(f"{case.reference}: {problem}")
        if refused:
            raise RemoteRejected(
                f"agency {self.name} refused {len(refused)} of {len(batch.cases)} cases of "
                f"batch {batch.reference}: " + "; ".join(refused[:20])
            )
        return Delivery(CHANNEL, self._url(self._options.cases_path), batch.item_count, sent)

    def send_notices(
        self, notices: Sequence[AgencyNotice], batch: DeliveryBatch | None = None
    ) -> Delivery:
        """Post every notice; RemoteRejected if the agency refused any (see
        `send_notices_each` for the outcome per notice)."""
        delivery, failed = self.send_notices_each(notices)
        if failed:
            raise RemoteRejected(
                f"agency {self.name} refused {len(failed)} of {len(notices)} notices: "
                + "; ".join(f"{key}: {reason}" for key, (reason, _) in list(failed.items())[:20])
            )
        return delivery

    def send_notices_each(
        self, notices: Sequence[AgencyNotice]
    ) -> tuple[Delivery, dict[str, tuple[str, bool]]]:
        """Post every notice; returns the delivery and the refused ones (notice id → (the
        agency's message, retriable=False)), so that one refused notice does not hold the
        others back. Raises RetriableError / AuthenticationFailed for the whole lot."""
        failed: dict[str, tuple[str, bool]] = {}
        sent = 0
        for notice in notices:
            template = (
                self._options.recall_path
                if notice.kind is NoticeKind.RECALL
                else self._options.direct_payment_path
            )
            path = template.replace("{reference}", notice.case_reference)
            body = _dumps(notice_body(notice))
            sent += len(body)
            what = f"{notice.kind.value} notice {notice.notice_id} (case {notice.case_reference})"
            problem = self._post(path, body, notice.notice_id, what)
            if problem:
                failed[notice.notice_id] = (problem, False)
        # the transfer log shows the resource the notices are posted under
        location = self._url(self._options.cases_path)
        return Delivery(CHANNEL, location, len(notices) - len(failed), sent), failed

    def fetch_updates(self) -> Iterator[Snapshot]:
        """Nothing: a push agency reports through claimbridge's agency API."""
        return iter(())

    def check(self) -> list[CheckResult]:
        what = f"agency API {self._url(self._options.check_path)}"
        try:
            response = self._http.get(self._options.check_path)
        except httpx.HTTPError as exc:
            return [CheckResult(what, False, self._clean(f"no connection: {_reason(exc)}"))]
        if response.status_code in (401, 403):
            return [CheckResult(what, False, f"credentials refused (HTTP {response.status_code})")]
        if response.status_code >= 500:
            return [CheckResult(what, False, f"server error (HTTP {response.status_code})")]
        return [
            CheckResult(
                what, True, f"reachable, credentials accepted (HTTP {response.status_code})"
            )
        ]

    # --- one request -------------------------------------------------------------------------

    def _post(self, path: str, body: bytes, key: str, what: str) -> str:
        """POST one entity; returns "" if the agency took it, else its reason for refusing."""
        try:
            response = self._http.post(
                path,
                content=body,
                headers={"Content-Type": "application/json", "Idempotency-Key": key},
            )
        except httpx.TimeoutException:
            raise ConnectionFailed(
                f"agency {self.name}: {what}: no answer within {self._options.timeout_seconds:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise ConnectionFailed(
                self._clean(f"agency {self.name}: {what}: {_reason(exc)}")
            ) from None
        status = response.status_code
        if status >= 500 or status in _RETRIABLE_STATUS:
            wait = response.headers.get("Retry-After")
            raise RetriableError(
                self._clean(
                    f"agency {self.name}: {what}: HTTP {status}"
                    + (f" (Retry-After {wait})" if wait else "")
                    + f": {_message(response)}"
                )
            )
        if status in (401, 403):
            raise AuthenticationFailed(
                f"agency {self.name}: {what}: our credentials were refused (HTTP {status})"
            )
        if status >= 400:
            return self._clean(f"HTTP {status}: {_message(response)}")
        if status >= 300:
            return f"unexpected redirect (HTTP {status}) to {response.headers.get('Location')}"
        answer = _json_or_none(response)
        if isinstance(answer, dict) and answer.get("success") is False:
            return self._clean(f"refused: {_message(response)}")
        return ""

    def _url(self, path: str) -> str:
        return self._options.base_url + path

    def _clean(self, text: str) -> str:
        """Blank out any secret the agency might echo back."""
        for secret in self._secrets:
            if secret:
                text = text.replace(secret, "**********")
        return text


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _message(response: httpx.Response) -> str:
    """The agency's own words: `message`, `error`, `detail` or `errors` of a JSON answer, else
    the start of the body."""
    answer = _json_or_none(response)
    if isinstance(answer, dict):
        for key in ("message", "error", "detail", "errors"):
            value = answer.get(key)
            if value:
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                return text[:500]
    text = response.text.strip()
    return text[:300] if text else "(no message)"


def _reason(exc: httpx.HTTPError) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
