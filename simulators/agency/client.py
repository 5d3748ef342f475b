"""The simulated agency as a client of claimbridge's agency API (docs/agency.md): it posts
its event streams (batches and single events, each with an Idempotency-Key) and, as a pull
agency, fetches its new cases and notices and acknowledges them. Given a signing secret, it
signs every request as docs/agency.md says (X-Signature v2: method, path and query, timestamp,
body), the way an agency's integration would, from the request as it goes on the wire."""

from __future__ import annotations

import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from gateway.agency_signatures import signature_header
from simulators.agency.events import AgencyCase, EventStream, Posting

__all__ = ["AgencyApiClient", "PostResult", "SignedRequests"]

RATE_LIMIT_RETRIES = 5


@dataclass(slots=True)
class PostResult:
    """What claimbridge answered to the postings of a stream."""

    requests: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)
    replayed: int = 0

    def count(self, result: str) -> int:
        return sum(1 for r in self.results if r.get("result") == result)


class SignedRequests(httpx.Auth):
    """The API key, and X-Signature v2 over the request as sent: its method, its path and
    query as they stand in the request line, a fresh timestamp, and its body."""

    requires_request_body = True

    def __init__(self, api_key: str, signing_secret: str | None) -> None:
        self._api_key, self._secret = api_key, signing_secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._api_key}"
        if self._secret is not None:
            target = request.url.raw_path.decode("ascii")  # path and query, as on the wire
            request.headers["X-Signature"] = signature_header(
                self._secret, int(time.time()), request.method, target, request.content
            )
        yield request


class AgencyApiClient:
    """Talks to claimbridge's /v1/agency endpoints with the agency's API key (and, given
    one, its signing secret)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        transport: httpx.BaseTransport | None = None,
        signing_secret: str | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/v1/agency/",
            auth=SignedRequests(api_key, signing_secret),
            timeout=30,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AgencyApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, path: str, key: str, body: Any) -> httpx.Response:
        response = self._http.post(path, json=body, headers={"Idempotency-Key": key})
        for _ in range(RATE_LIMIT_RETRIES):
            if response.status_code != 429:
                break
            # Throttled: wait as told and send the same request again (same key: safe).
            time.sleep(min(float(response.headers.get("Retry-After", "1")), 10.0))
            response = self._http.post(path, json=body, headers={"Idempotency-Key": key})
        if response.status_code >= 400:
            raise RuntimeError(f"POST {path}: HTTP {response.status_code}: {response.text[:500]}")
        return response

    def post(self, posting: Posting) -> httpx.Response:
        if posting.batch:
            return self._post(
                "events/batch", posting.idempotency_key, {"events": list(posting.events)}
            )
        return self._post("events", posting.idempotency_key, posting.events[0])

    def post_stream(self, stream: EventStream) -> PostResult:
        """Post every posting of `stream` in order."""
        outcome = PostResult()
        for posting in stream.postings:
            response = self.post(posting)
            outcome.requests += 1
            outcome.replayed += response.headers.get("Idempotent-Replayed") == "true"
            answer = response.json()
            outcome.results.extend(answer["results"] if posting.batch else [answer])
        return outcome

    def post_event(self, event: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self._post("events", f"event:{event['event_id']}", event).json()
        return answer

    def post_message(self, reference: str, message_id: str, occurred_at: str, text: str) -> None:
        self._post(
            f"cases/{reference}/messages",
            f"message:{message_id}",
            {"message_id": message_id, "occurred_at": occurred_at, "text": text},
        )

    # --- pull ----------------------------------------------------------------------------

    def new_cases(self, limit: int = 100) -> list[AgencyCase]:
        response = self._http.get("cases/new", params={"limit": limit})
        response.raise_for_status()
        return [
            AgencyCase(c["reference"], c["currency"], Decimal(str(c["handed_over"])))
            for c in response.json()["cases"]
        ]

    def ack_cases(self, references: Sequence[str]) -> dict[str, Any]:
        key = "ack-cases:" + ",".join(references)
        answer: dict[str, Any] = self._post(
            "cases/ack", key[:200], {"references": list(references)}
        ).json()
        return answer

    def notices(self, limit: int = 100) -> list[dict[str, Any]]:
        response = self._http.get("notices", params={"limit": limit})
        response.raise_for_status()
        notices: list[dict[str, Any]] = response.json()["notices"]
        return notices

    def ack_notices(self, notice_ids: Sequence[str]) -> dict[str, Any]:
        key = "ack-notices:" + ",".join(notice_ids)
        answer: dict[str, Any] = self._post(
            "notices/ack", key[:200], {"notice_ids": list(notice_ids)}
        ).json()
        return answer
