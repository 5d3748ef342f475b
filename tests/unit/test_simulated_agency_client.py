"""The simulated agency honours a 429 the way a real integration should: it waits as told and
sends the same request again, with the same Idempotency-Key."""

from __future__ import annotations

import httpx
import pytest

from gateway.agency_signatures import verify_signature
from simulators.agency.client import RATE_LIMIT_RETRIES, AgencyApiClient


def test_a_throttled_post_is_sent_again_with_the_same_key() -> None:
    seen: list[tuple[str, str]] = []

    def agency_api(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers["Idempotency-Key"]))
        if len(seen) < 3:
            return httpx.Response(429, headers={"Retry-After": "0"}, json={"detail": "slow"})
        return httpx.Response(201, json={"result": "applied"})

    with AgencyApiClient("http://cb", "cbk_x_y", httpx.MockTransport(agency_api)) as client:
        answer = client.post_event({"event_id": "e1", "case_reference": "CB-1"})
    assert answer == {"result": "applied"}
    assert seen == [("/v1/agency/events", "event:e1")] * 3


def test_it_gives_up_after_a_few_tries() -> None:
    calls: list[int] = []

    def agency_api(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(429, headers={"Retry-After": "0"}, json={"detail": "slow"})

    client = AgencyApiClient("http://cb", "cbk_x_y", httpx.MockTransport(agency_api))
    with client, pytest.raises(RuntimeError, match="HTTP 429"):
        client.post_event({"event_id": "e1", "case_reference": "CB-1"})
    assert len(calls) == 1 + RATE_LIMIT_RETRIES


def test_it_signs_each_request_as_sent_with_v2() -> None:
    seen: list[httpx.Request] = []

    def agency_api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "GET":
            return httpx.Response(200, json={"cases": []})
        return httpx.Response(201, json={"result": "applied"})

    secret = "the-agency-signing-secret"
    transport = httpx.MockTransport(agency_api)
    with AgencyApiClient("http://cb", "cbk_x_y", transport, signing_secret=secret) as client:
        client.post_event({"event_id": "e1", "case_reference": "CB-1"})
        client.new_cases(limit=7)
    posted, fetched = seen
    for request, target in (
        (posted, "/v1/agency/events"),
        (fetched, "/v1/agency/cases/new?limit=7"),
    ):
        assert request.url.raw_path.decode() == target
        assert request.headers["Authorization"] == "Bearer cbk_x_y"
        verify_signature(
            request.headers["X-Signature"],
            secret,
            request.method,
            target,
            request.content,
            accept_v1=False,
        )  # raises if it does not hold
    assert "v1=" not in posted.headers["X-Signature"]
