"""The REST connector against a real HTTP server on loopback: how it behaves when the server
is slow, busy, failing, malformed, or lets credentials expire."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from connectors.base import (
    AuthenticationFailed,
    ConfigurationError,
    ConnectionFailed,
    ConnectorContext,
    FormatError,
    RemoteRejected,
    RetriableError,
)
from connectors.rest import Call, RestClient, RestOptions, RestSource, RestSourceOptions
from connectors.secrets import SecretValue
from tests.integration.local_api import LocalApi, Reply, Seen, serve

FAST_RETRY = {"attempts": 3, "backoff_seconds": 0.01, "max_backoff_seconds": 0.05}


@pytest.fixture
def api() -> Iterator[LocalApi]:
    yield from serve()


def client(api: LocalApi, tmp_path: Path, **options: Any) -> RestClient:
    settings = {"base_url": api.url, "retry": FAST_RETRY, **options}
    return RestClient(RestOptions.model_validate(settings), "erp", tmp_path)


def get(path: str) -> Call:
    return Call("GET", path)


def source(api: LocalApi, tmp_path: Path, **options: Any) -> RestSource:
    settings = {"base_url": api.url, "retry": FAST_RETRY, **options}
    return RestSource(
        RestSourceOptions.model_validate(settings), ConnectorContext("erp", tmp_path, {})
    )


def read_all(src: RestSource) -> list[Any]:
    (snapshot,) = src.snapshots(date(2026, 11, 20))
    return list(snapshot.open().records)


# --- failures --------------------------------------------------------------------------------


def test_a_timeout_is_retried_and_then_reported_as_a_connection_failure(
    api: LocalApi, tmp_path: Path
) -> None:
    api.replies("GET", "/slow", Reply(delay=1.0, body={"late": True}))
    erp = client(api, tmp_path, timeout_seconds=0.2)
    with pytest.raises(ConnectionFailed) as failure:
        erp.send(get("slow"))
    assert len(api.requests_to("/slow")) == 3
    assert f"GET {api.url}slow" in str(failure.value)
    assert "no answer within 0.2 s" in str(failure.value)
    assert failure.value.retriable


def test_a_timeout_then_an_answer_is_an_answer(api: LocalApi, tmp_path: Path) -> None:
    api.replies("GET", "/slow", Reply(delay=1.0), Reply(body={"ok": 1}))
    assert client(api, tmp_path, timeout_seconds=0.3).send(get("slow")).payload == {"ok": 1}


def test_429_waits_as_long_as_retry_after_says(api: LocalApi, tmp_path: Path) -> None:
    api.replies(
        "GET",
        "/items",
        Reply(429, {"message": "slow down"}, {"Retry-After": "1"}),
        Reply(body=[1, 2]),
    )
    started = time.monotonic()
    assert client(api, tmp_path).send(get("items")).payload == [1, 2]
    assert time.monotonic() - started >= 1.0
    assert len(api.requests_to("/items")) == 2


def test_429_asking_for_too_long_a_wait_gives_up_at_once(api: LocalApi, tmp_path: Path) -> None:
    api.replies("GET", "/items", Reply(429, {"message": "quota"}, {"Retry-After": "3600"}))
    erp = client(api, tmp_path, retry={**FAST_RETRY, "max_retry_after_seconds": 60})
    with pytest.raises(RetriableError, match="asks to wait 3600 s"):
        erp.send(get("items"))
    assert len(api.requests_to("/items")) == 1


def test_5xx_is_retried_with_backoff_until_it_works(api: LocalApi, tmp_path: Path) -> None:
    api.replies("GET", "/items", Reply(503), Reply(502, "<h1>Bad gateway</h1>"), Reply(body=[]))
    assert client(api, tmp_path).send(get("items")).payload == []
    assert len(api.requests_to("/items")) == 3


def test_5xx_that_lasts_is_retriable_and_carries_the_server_message(
    api: LocalApi, tmp_path: Path
) -> None:
    api.replies("GET", "/items", Reply(500, {"error": {"message": "database is locked"}}))
    with pytest.raises(RetriableError) as failure:
        client(api, tmp_path).send(get("items"))
    message = str(failure.value)
    assert "HTTP 500 Internal Server Error after 3 attempts: database is locked" in message
    assert failure.value.retriable


def test_4xx_is_not_retried_and_names_the_endpoint_and_the_server_message(
    api: LocalApi, tmp_path: Path
) -> None:
    api.replies("GET", "/items", Reply(422, {"message": "due_before must be a date"}))
    with pytest.raises(RemoteRejected) as failure:
        client(api, tmp_path).send(Call("GET", "items", {"due_before": "soon"}))
    assert str(failure.value) == (
        f"erp: GET {api.url}items: HTTP 422 Unprocessable Entity: due_before must be a date"
    )
    assert len(api.requests_to("/items")) == 1
    assert not failure.value.retriable


def test_a_missing_endpoint_is_a_configuration_error(api: LocalApi, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"HTTP 404 Not Found: no such route"):
        client(api, tmp_path).send(get("nowhere"))


def test_a_redirect_is_not_followed_silently(api: LocalApi, tmp_path: Path) -> None:
    api.replies("GET", "/old", Reply(301, headers={"Location": "https://elsewhere.example/"}))
    with pytest.raises(ConfigurationError, match=r"redirected \(301\) to https://elsewhere"):
        client(api, tmp_path).send(get("old"))


def test_malformed_json_is_a_format_error_that_shows_the_start(
    api: LocalApi, tmp_path: Path
) -> None:
    api.replies("GET", "/items", Reply(body=b'{"items": [1, 2,'))
    with pytest.raises(FormatError, match=r"not valid JSON .*starts with '\{\"items\": \[1, 2,'"):
        client(api, tmp_path).send(get("items"))
    assert len(api.requests_to("/items")) == 1


def test_a_json_rpc_error_sent_with_200_is_a_rejection(api: LocalApi, tmp_path: Path) -> None:
    def rpc(seen: Seen) -> Reply:
        call = seen.json()
        if call["method"] == "missing.method":
            error = {"code": -32601, "message": "Method not found"}
        else:
            error = {"code": -32000, "message": "Invoice 7 is already paid"}
        return Reply(body={"jsonrpc": "2.0", "id": call["id"], "error": error})

    api.route("POST", "/rpc/", rpc)
    erp = client(api, tmp_path, base_url=api.url + "rpc", style="json_rpc")
    with pytest.raises(RemoteRejected, match=r"refused: Invoice 7 is already paid \(code -32000\)"):
        erp.send(Call("POST", "", payload=[7], rpc="invoice.pay"))
    with pytest.raises(ConfigurationError, match="no such method"):
        erp.send(Call("POST", "", payload=[], rpc="missing.method"))
    assert api.seen[0].json() == {"jsonrpc": "2.0", "id": 1, "method": "invoice.pay", "params": [7]}


# --- credentials -----------------------------------------------------------------------------


def test_an_expired_session_logs_in_again_and_goes_on(api: LocalApi, tmp_path: Path) -> None:
    sessions = {"current": "", "issued": 0}

    def login(seen: Seen) -> Reply:
        if seen.json() != {"user": "claimbridge", "password": "s3cret-pw"}:
            return Reply(401, {"message": "bad credentials"})
        sessions["issued"] += 1
        sessions["current"] = f"session-{sessions['issued']}"
        return Reply(body={"data": {"token": sessions["current"]}})

    def items(seen: Seen) -> Reply:
        if seen.headers.get("authorization") != f"Token {sessions['current']}":
            return Reply(401, {"message": "session expired"})
        return Reply(body=[{"id": 1}])

    api.route("POST", "/login", login)
    api.route("GET", "/items", items)
    auth = {
        "kind": "session",
        "username": "claimbridge",
        "password": SecretValue("s3cret-pw"),
        "login": {"path": "login", "body": {"user": "{username}", "password": "{password}"}},
        "capture": {"token": "data.token"},
        "scheme": "Token",
        "token": "{token}",
    }
    erp = client(api, tmp_path, auth=auth)
    assert erp.send(get("items")).payload == [{"id": 1}]
    sessions["current"] = "expired-on-the-server"  # the server forgets the session
    assert erp.send(get("items")).payload == [{"id": 1}]
    assert sessions["issued"] == 2
    assert [s.path for s in api.seen] == ["/login", "/items", "/items", "/login", "/items"]

    wrong = client(api, tmp_path, auth={**auth, "password": SecretValue("not-the-password")})
    with pytest.raises(AuthenticationFailed) as failure:
        wrong.send(get("items"))
    assert f"login (POST {api.url}login) refused" in str(failure.value)
    assert "bad credentials" in str(failure.value)
    assert "not-the-password" not in str(failure.value)


def test_oauth2_client_credentials_refreshes_an_expired_token(
    api: LocalApi, tmp_path: Path
) -> None:
    tokens: list[str] = []

    def token(seen: Seen) -> Reply:
        form = seen.body.decode()
        if "client_secret=top-secret" not in form or "grant_type=client_credentials" not in form:
            return Reply(401, {"error": "invalid_client"})
        tokens.append(f"tok{len(tokens) + 1}")
        return Reply(body={"access_token": tokens[-1], "token_type": "Bearer", "expires_in": 3600})

    def items(seen: Seen) -> Reply:
        if seen.headers.get("authorization") != f"Bearer {tokens[-1]}" or len(tokens) < 2:
            # the first token is revoked on the server before it expires
            return Reply(401, {"error": "invalid_token"})
        return Reply(body={"items": []})

    api.route("POST", "/oauth/token", token)
    api.route("GET", "/items", items)
    auth = {
        "kind": "oauth2_client_credentials",
        "token_url": "oauth/token",
        "client_id": "claimbridge",
        "client_secret": SecretValue("top-secret"),
        "scope": "receivables",
    }
    erp = client(api, tmp_path, auth=auth)
    assert erp.send(get("items")).payload == {"items": []}
    assert tokens == ["tok1", "tok2"]
    assert erp.send(get("items")).payload == {"items": []}
    assert tokens == ["tok1", "tok2"]  # still valid: not fetched again

    refused = client(api, tmp_path, auth={**auth, "client_secret": SecretValue("guess")})
    with pytest.raises(AuthenticationFailed, match="OAuth token from oauth/token refused"):
        refused.send(get("items"))


def test_an_expiring_oauth_token_is_renewed_before_it_is_refused(
    api: LocalApi, tmp_path: Path
) -> None:
    issued: list[int] = []

    def token(_: Seen) -> Reply:
        issued.append(1)
        return Reply(body={"access_token": f"t{len(issued)}", "expires_in": 1})

    api.route("POST", "/token", token)
    api.replies("GET", "/items", Reply(body=[]))
    auth = {
        "kind": "oauth2_client_credentials",
        "token_url": "token",
        "client_id": "c",
        "client_secret": SecretValue("secret-value"),
        "refresh_margin_seconds": 0.5,
        "credentials_in": "basic",
    }
    erp = client(api, tmp_path, auth=auth)
    erp.send(get("items"))
    time.sleep(0.6)
    erp.send(get("items"))
    assert len(issued) == 2
    assert [s.headers["authorization"] for s in api.requests_to("/items")] == [
        "Bearer t1",
        "Bearer t2",
    ]
    assert api.requests_to("/token")[0].headers["authorization"].startswith("Basic ")


def test_fixed_credentials_are_sent_and_never_echoed_back(api: LocalApi, tmp_path: Path) -> None:
    def echo(seen: Seen) -> Reply:
        return Reply(400, {"message": f"bad request with {seen.headers.get('x-api-key')}"})

    api.route("GET", "/items", echo)
    erp = client(api, tmp_path, auth={"kind": "api_key", "key": SecretValue("k-123456")})
    with pytest.raises(RemoteRejected) as failure:
        erp.send(get("items"))
    assert "k-123456" not in str(failure.value)
    assert "bad request with ***" in str(failure.value)
    assert api.seen[0].headers["x-api-key"] == "k-123456"

    api.replies("GET", "/items", Reply(body=[]))
    client(api, tmp_path, auth={"kind": "bearer", "token": SecretValue("b-9876")}).send(
        get("items")
    )
    basic = {"kind": "basic", "username": "u", "password": SecretValue("p-pass")}
    client(api, tmp_path, auth=basic).send(get("items"))
    assert [s.headers.get("authorization") for s in api.seen[1:]] == [
        "Bearer b-9876",
        "Basic dTpwLXBhc3M=",
    ]


def test_a_refused_fixed_credential_is_an_authentication_failure(
    api: LocalApi, tmp_path: Path
) -> None:
    api.replies("GET", "/items", Reply(401, {"detail": "token revoked"}))
    erp = client(api, tmp_path, auth={"kind": "bearer", "token": SecretValue("revoked-token")})
    with pytest.raises(AuthenticationFailed, match="HTTP 401 Unauthorized: token revoked"):
        erp.send(get("items"))
    assert len(api.seen) == 1


def test_tls_is_verified_by_default_and_a_company_ca_can_be_trusted(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    context = __import__("ssl").create_default_context(__import__("ssl").Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    api = LocalApi()
    api.use_tls(context)
    api.replies("GET", "/items", Reply(body=[]))
    api.start()
    try:
        with pytest.raises(AuthenticationFailed, match="TLS certificate is not trusted"):
            client(api, tmp_path).send(get("items"))
        authority.cert_pem.write_to_path(str(tmp_path / "company-ca.pem"))
        trusted = client(api, tmp_path, ca_file="company-ca.pem")
        assert trusted.send(get("items")).payload == []
    finally:
        api.stop()


# --- pages -----------------------------------------------------------------------------------

RECORDS = [{"id": n, "amount": f"{n}.50"} for n in range(1, 12)]


def test_page_and_size(api: LocalApi, tmp_path: Path) -> None:
    def page(seen: Seen) -> Reply:
        number, size = int(seen.query["page"]), int(seen.query["per_page"])
        return Reply(body={"data": RECORDS[(number - 1) * size : number * size]})

    api.route("GET", "/items", page)
    src = source(
        api,
        tmp_path,
        request={"path": "items", "query": {"page": "{page}", "per_page": "{limit}"}},
        records="data",
        pagination={"kind": "page", "size": 4},
    )
    records = read_all(src)
    assert [r.position for r in records] == [str(n) for n in range(1, 12)]
    assert [s.query["page"] for s in api.seen] == ["1", "2", "3"]


def test_offset_and_limit_in_a_json_body(api: LocalApi, tmp_path: Path) -> None:
    def search(seen: Seen) -> Reply:
        body = seen.json()
        return Reply(body=RECORDS[body["offset"] : body["offset"] + body["limit"]])

    api.route("POST", "/search", search)
    src = source(
        api,
        tmp_path,
        request={"path": "search", "body": {"offset": "{offset}", "limit": "{limit}"}},
        pagination={"kind": "offset", "size": 5},
    )
    assert len(read_all(src)) == 11
    assert [s.json()["offset"] for s in api.seen] == [0, 5, 10]


def test_offset_inside_json_rpc_params(api: LocalApi, tmp_path: Path) -> None:
    def rpc(seen: Seen) -> Reply:
        call = seen.json()
        domain, offset, limit = call["params"]
        assert domain == [["due", "<", "2026-11-20"]]
        return Reply(body={"id": call["id"], "result": RECORDS[offset : offset + limit]})

    api.route("POST", "/rpc/", rpc)
    src = source(
        api,
        tmp_path,
        base_url=api.url + "rpc/",
        style="json_rpc",
        rpc_version=None,
        request={
            "call": "items.search_read",
            "params": [[["due", "<", "{as_of}"]], "{offset}", "{limit}"],
        },
        pagination={"kind": "offset", "size": 11},
    )
    assert len(read_all(src)) == 11
    assert len(api.seen) == 2  # a full page asks for the next one, which is empty
    assert "jsonrpc" not in api.seen[0].json()


def test_cursor(api: LocalApi, tmp_path: Path) -> None:
    def page(seen: Seen) -> Reply:
        start = int(seen.query.get("after", "0"))
        chunk = RECORDS[start : start + 3]
        following = str(start + 3) if start + 3 < len(RECORDS) else None
        return Reply(body={"items": chunk, "meta": {"next": following}})

    api.route("GET", "/items", page)
    src = source(
        api,
        tmp_path,
        request={"path": "items", "query": {"after": "{cursor}"}},
        records="items",
        pagination={"kind": "cursor", "cursor": "meta.next"},
    )
    assert len(read_all(src)) == 11
    assert [s.query.get("after") for s in api.seen] == [None, "3", "6", "9"]


def test_a_cursor_that_comes_back_is_a_format_error(api: LocalApi, tmp_path: Path) -> None:
    api.replies("GET", "/items", Reply(body={"items": [{"id": 1}], "next": "abc"}))
    src = source(
        api,
        tmp_path,
        request={"path": "items", "query": {"after": "{cursor}"}},
        records="items",
        pagination={"kind": "cursor", "cursor": "next"},
    )
    with pytest.raises(FormatError, match="sent cursor 'abc' again"):
        read_all(src)


def test_link_header(api: LocalApi, tmp_path: Path) -> None:
    def page(seen: Seen) -> Reply:
        number = int(seen.query.get("page", "1"))
        links = {"Link": f'<{api.url}items?page={number + 1}>; rel="next", <x>; rel="last"'}
        return Reply(
            body=RECORDS[(number - 1) * 5 : number * 5], headers=links if number < 3 else {}
        )

    api.route("GET", "/items", page)
    src = source(api, tmp_path, request={"path": "items"}, pagination={"kind": "link"})
    assert len(read_all(src)) == 11
    assert [s.query.get("page") for s in api.seen] == [None, "2", "3"]


def test_records_stream_page_by_page(api: LocalApi, tmp_path: Path) -> None:
    """The second page is asked for only when the first one has been read."""

    def page(seen: Seen) -> Reply:
        number = int(seen.query["page"])
        return Reply(body=RECORDS[(number - 1) * 2 : number * 2])

    api.route("GET", "/items", page)
    src = source(
        api,
        tmp_path,
        request={"path": "items", "query": {"page": "{page}", "size": "{limit}"}},
        pagination={"kind": "page", "size": 2},
    )
    (snapshot,) = src.snapshots(date(2026, 11, 20))
    records = snapshot.open().records
    next(records)
    next(records)
    assert len(api.seen) == 1
    next(records)
    assert len(api.seen) == 2
    rest = list(records)
    assert len(rest) == 8 and snapshot.size and snapshot.size > 100


def test_records_not_where_the_configuration_says_are_a_format_error(
    api: LocalApi, tmp_path: Path
) -> None:
    api.replies("GET", "/items", Reply(body={"results": []}))
    src = source(api, tmp_path, request={"path": "items"}, records="data.items")
    with pytest.raises(FormatError, match=r"page 1: the answer has nothing at data\.items"):
        read_all(src)


def test_a_record_that_is_not_an_object_is_quarantined_not_fatal(
    api: LocalApi, tmp_path: Path
) -> None:
    api.replies("GET", "/items", Reply(body=[{"id": 1, "party.": {"name": "A"}}, "oops"]))
    first, second = read_all(source(api, tmp_path, request={"path": "items"}))
    assert first.values == {"id": 1, "party.name": "A"} and not first.problem
    assert second.problem == "record 2 is a str, not a JSON object"
