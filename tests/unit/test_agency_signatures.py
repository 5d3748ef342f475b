"""X-Signature v2 as docs/agency.md specifies it: the worked example holds, the doc's own
snippets compute and verify it, and what v2 signs cannot be moved to another request."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from gateway.agency_signatures import (
    SignatureRefused,
    signature_header,
    signature_v1,
    verify_signature,
)

DOC = (Path(__file__).parents[2] / "docs" / "agency.md").read_text(encoding="utf-8")
SECRET = "my-signing-secret"
T = 1795000000
BODY = (
    b'{"event_id":"ev-1","case_reference":"CB-0000001","kind":"accepted",'
    b'"occurred_at":"2026-11-20"}'
)


def test_the_worked_example_of_the_doc_holds() -> None:
    assert len(BODY) == 94 and BODY.decode() in DOC
    post = signature_header(SECRET, T, "POST", "/v1/agency/events", BODY)
    get = signature_header(SECRET, T, "GET", "/v1/agency/cases/new?limit=100", b"")
    assert f"X-Signature: {post}" in DOC
    assert f"`{get}`" in DOC


def test_the_doc_s_snippets_sign_and_verify_as_claimbridge_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC, re.S)
    sign_block = next(b for b in blocks if "def x_signature" in b)
    verify_block = next(b for b in blocks if "def verify" in b)
    scope: dict[str, Any] = {}
    # the signing snippet, without its request to the example host
    exec(sign_block.split("body = json.dumps")[0], scope)  # noqa: S102 - the doc's own code
    exec(verify_block, scope)  # noqa: S102
    scope["SECRET"] = SECRET.encode()
    header = scope["x_signature"]("post", "/v1/agency/events", BODY, T)
    assert header == signature_header(SECRET, T, "POST", "/v1/agency/events", BODY)
    monkeypatch.setattr(scope["time"], "time", lambda: T + 10)
    assert scope["verify"](header, "POST", "/v1/agency/events", BODY, SECRET.encode())
    assert not scope["verify"](header, "POST", "/v1/agency/events/batch", BODY, SECRET.encode())


def test_v2_binds_method_target_time_and_body() -> None:
    header = signature_header(SECRET, T, "POST", "/v1/agency/events", BODY)
    assert (
        verify_signature(header, SECRET, "POST", "/v1/agency/events", BODY, accept_v1=False, now=T)
        == "v2"
    )
    for method, target, body in (
        ("PUT", "/v1/agency/events", BODY),
        ("POST", "/v1/agency/events/batch", BODY),
        ("POST", "/v1/agency/events?x=1", BODY),
        ("POST", "/v1/agency/events", BODY + b" "),
    ):
        with pytest.raises(SignatureRefused, match="does not match"):
            verify_signature(header, SECRET, method, target, body, accept_v1=True, now=T)
    # where the target ends and the body begins is never ambiguous (a request target holds no
    # LF; with a printable separator, "/v1/a" + "b.c" and "/v1/a.b" + "c" would sign alike)
    split = signature_header(SECRET, T, "POST", "/v1/a", b"b.c")
    with pytest.raises(SignatureRefused):
        verify_signature(split, SECRET, "POST", "/v1/a.b", b"c", accept_v1=True, now=T)


def test_the_timestamp_is_bounded_and_v1_is_a_configured_exception() -> None:
    header = signature_header(SECRET, T, "GET", "/v1/agency/notices", b"")
    with pytest.raises(SignatureRefused, match="more than 300 s"):
        verify_signature(
            header, SECRET, "GET", "/v1/agency/notices", b"", accept_v1=True, now=T + 301
        )
    for stamp in ("9" * 13, "-5", "1e9", "١٢٣", ""):
        with pytest.raises(SignatureRefused, match="not a number"):
            verify_signature(f"t={stamp},v2=00", SECRET, "GET", "/", b"", accept_v1=True, now=T)
    v1 = f"t={T},v1={signature_v1(SECRET, T, BODY)}"
    assert verify_signature(v1, SECRET, "POST", "/anywhere", BODY, accept_v1=True, now=T) == "v1"
    with pytest.raises(SignatureRefused, match="no longer accepted"):
        verify_signature(v1, SECRET, "POST", "/anywhere", BODY, accept_v1=False, now=T)
