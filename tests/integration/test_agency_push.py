"""The `rest-push` agency channel against the simulated agency's API, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.agency_rest import RestPushChannel, RestPushOptions
from connectors.base import (
    AgencyChannel,
    AuthenticationFailed,
    ConnectionFailed,
    ConnectorContext,
    RemoteRejected,
    RetriableError,
)
from connectors.rest.options import BasicAuth, BearerAuth
from connectors.testing import NOW, AgencyChannelConformance, sample_batch
from gateway.config import ConfigError, load_config
from gateway.domain.handover import AgencyNotice, NoticeKind
from gateway.domain.items import Debtor
from gateway.domain.money import Money
from simulators.agency import SimulatedAgency, agency_app, free_port, served

KEY = "sim-key-0f3a9c"


@pytest.fixture
def agency() -> SimulatedAgency:
    return SimulatedAgency(api_key=KEY)


@pytest.fixture
def agency_url(agency: SimulatedAgency) -> Iterator[str]:
    with served(agency_app(agency)) as url:
        yield url


def push_channel(url: str, auth: Any = None, **options: Any) -> RestPushChannel:
    auth = auth or BearerAuth(kind="bearer", token=SecretStr(KEY))
    opts = RestPushOptions(base_url=url, auth=auth, timeout_seconds=5, **options)
    return RestPushChannel(opts, ConnectorContext("sim", Path(".")))


class TestRestPushConformance(AgencyChannelConformance):
    @pytest.fixture
    def channel(self, agency_url: str) -> Iterator[AgencyChannel]:
        channel = push_channel(agency_url)
        yield channel
        channel.close()

    @pytest.fixture
    def received(self, agency: SimulatedAgency) -> Any:
        return lambda channel: list(agency.cases)

    @pytest.fixture
    def send_update(self) -> Any:
        return None

    def test_notices_are_delivered(self, channel: AgencyChannel) -> None:
        channel.submit(sample_batch())  # the agency knows only notices of its own cases
        super().test_notices_are_delivered(channel)

    def test_updates_come_back_once(self, channel: AgencyChannel, send_update: Any) -> None:
        # A push agency reports through claimbridge's agency API: nothing to fetch.
        assert list(channel.fetch_updates()) == []


def test_each_case_is_created_with_its_reference_as_idempotency_key(
    agency: SimulatedAgency, agency_url: str
) -> None:
    channel = push_channel(agency_url)
    batch = sample_batch()
    delivery = channel.submit(batch)
    assert delivery.channel == "rest-push" and delivery.location == f"{agency_url}/cases"
    assert delivery.records == batch.item_count and delivery.bytes
    case = agency.cases["CB-0000001"]
    assert case["currency"] == "EUR" and case["handed_over"] == "2230.40"
    assert case["debtor"]["number"] == "100231" and case["debtor"]["country"] == "DE"
    assert [i["open_amount"] for i in case["items"]] == ["1250.00", "980.40"]
    assert case["items"][0]["net_due_date"] == "2026-08-01"
    # the same batch again (a run that crashed before recording the delivery): replays
    requests = agency.requests
    channel.submit(batch)
    assert agency.requests == requests + 2 and len(agency.cases) == 2


def test_basic_authentication_works_and_a_wrong_key_is_refused_without_echoing_it(
    agency: SimulatedAgency, agency_url: str
) -> None:
    basic = BasicAuth(kind="basic", username="claimbridge", password=SecretStr(KEY))
    push_channel(agency_url, basic).submit(sample_batch())
    assert len(agency.cases) == 2

    wrong = BearerAuth(kind="bearer", token=SecretStr("not-the-key-123"))
    channel = push_channel(agency_url, wrong)
    with pytest.raises(AuthenticationFailed) as caught:
        channel.submit(sample_batch("CB-B000002"))
    assert "not-the-key-123" not in str(caught.value)
    (result,) = channel.check()
    assert not result.ok and "credentials refused" in result.detail
    assert push_channel(agency_url).check()[0].ok


def test_an_outage_mid_batch_is_retriable_and_the_retry_creates_nothing_twice(
    agency: SimulatedAgency, agency_url: str
) -> None:
    channel = push_channel(agency_url)
    batch = sample_batch()
    # the first case goes through, then the agency fails: the run stops half-way
    original = agency.take_failure
    calls = {"n": 0}

    def second_request_fails() -> int | None:
        calls["n"] += 1
        return 503 if calls["n"] == 2 else original()

    agency.take_failure = second_request_fails  # type: ignore[method-assign]
    with pytest.raises(RetriableError, match="case CB-0000002: HTTP 503"):
        channel.submit(batch)
    assert list(agency.cases) == ["CB-0000001"]
    agency.take_failure = original  # type: ignore[method-assign]

    agency.fail_next(1, status=429)
    with pytest.raises(RetriableError, match="HTTP 429"):
        channel.submit(batch)
    channel.submit(batch)
    assert sorted(agency.cases) == ["CB-0000001", "CB-0000002"]
    assert agency.cases["CB-0000001"]["agency_case_id"] == "SIM-000001"


@pytest.mark.parametrize("style", ["http", "success_flag"])
def test_a_refused_case_is_named_with_the_agencys_message_and_the_others_are_created(
    agency: SimulatedAgency, agency_url: str, style: str
) -> None:
    agency.refuse_countries = frozenset({"XK"})
    agency.refusal_style = style  # type: ignore[assignment]
    batch = sample_batch()
    kosovo = replace(batch.cases[1], debtor=Debtor("200", "Far Away LLC", country="XK"))
    batch = replace(batch, cases=[batch.cases[0], kosovo])
    with pytest.raises(RemoteRejected) as caught:
        push_channel(agency_url).submit(batch)
    message = str(caught.value)
    assert "refused 1 of 2 cases" in message
    assert "CB-0000002" in message and "no collection for debtors in XK" in message
    assert list(agency.cases) == ["CB-0000001"]


def test_notices_are_posted_one_by_one_and_a_refused_one_does_not_hold_back_the_others(
    agency: SimulatedAgency, agency_url: str
) -> None:
    channel = push_channel(agency_url)
    channel.submit(sample_batch())
    notices = [
        AgencyNotice("CB-0000001:recall:r1", NoticeKind.RECALL, "CB-0000001", "sim", NOW),
        AgencyNotice("CB-9:recall:r2", NoticeKind.RECALL, "CB-9999999", "sim", NOW),
        AgencyNotice(
            "CB-0000002:direct:d1",
            NoticeKind.DIRECT_PAYMENT,
            "CB-0000002",
            "sim",
            NOW,
            amount=Money.of("100.00", "GBP"),
            document_number="1800000003",
        ),
    ]
    delivery, failed = channel.send_notices_each(notices)
    assert delivery.records == 2
    assert list(failed) == ["CB-9:recall:r2"]
    reason, retriable = failed["CB-9:recall:r2"]
    assert "HTTP 404" in reason and "unknown case CB-9999999" in reason and not retriable
    assert agency.cases["CB-0000001"]["recalled"] is True
    payment = agency.notices["CB-0000002:direct:d1"]
    assert payment["amount"] == "100.00" and payment["currency"] == "GBP"
    with pytest.raises(RemoteRejected, match="refused 1 of 3 notices"):
        channel.send_notices(notices)


def test_an_agency_that_does_not_answer_is_a_connection_failure() -> None:
    channel = push_channel(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ConnectionFailed):
        channel.submit(sample_batch())
    (result,) = channel.check()
    assert not result.ok and "no connection" in result.detail


def test_options_errors_name_the_key(tmp_path: Path) -> None:
    from gateway.sample.init import init_folder
    from tests.conftest import TODAY

    config = init_folder(tmp_path, TODAY)
    text = config.read_text(encoding="utf-8")
    start = text.index("    channel: files")
    end = text.index("policies:")
    text = (
        text[:start]
        + "    channel: rest-push\n    options:\n      base_url: ftp://agency.example\n"
        + "      auth: {kind: bearer, token: literal-token}\n\n"
        + text[end:]
    )
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    message = str(caught.value)
    assert "agencies.acme.options.base_url" in message and "not an http(s) URL" in message
    assert "agencies.acme.options.auth" in message and "!env" in message
    assert "literal-token" not in message
