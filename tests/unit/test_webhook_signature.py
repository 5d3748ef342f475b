"""Standard Webhooks signatures: the published test vector, and stock receivers accept ours."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
import standardwebhooks

from gateway.webhook_signatures import (
    WebhookVerificationError,
    new_secret,
    secret_key,
    sign,
    signature_headers,
    verify,
)

# The test vector of the Standard Webhooks reference libraries
# (github.com/standard-webhooks/standard-webhooks, libraries/*: "sign function works").
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_published_test_vector() -> None:
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE
    headers = {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TIMESTAMP),
        "webhook-signature": VECTOR_SIGNATURE,
    }
    assert verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TIMESTAMP + 10) == VECTOR_ID


def test_the_standardwebhooks_library_verifies_what_we_sign_and_we_verify_what_it_signs() -> None:
    secret = new_secret()
    body = json.dumps({"type": "case.available", "data": {"case_reference": "CB-1"}}).encode()
    headers = signature_headers(secret, "wh:case.available:CB-1:batch:CB-B1", body)
    assert standardwebhooks.Webhook(secret).verify(body, headers) == json.loads(body)

    theirs = standardwebhooks.Webhook(secret)
    now = datetime.now(UTC)
    signature = theirs.sign("msg_1", now, body.decode())
    received = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    assert verify(secret, received, body) == "msg_1"


def test_a_changed_body_another_secret_or_an_old_timestamp_is_refused() -> None:
    secret, other = new_secret(), new_secret()
    body = b'{"type":"notice.created"}'
    headers = signature_headers(secret, "m1", body)
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        verify(secret, headers, body + b" ")
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        verify(other, headers, body)
    # during a rotation the receiver accepts either secret
    assert verify([other, secret], headers, body) == "m1"
    old = signature_headers(secret, "m1", body, now=time.time() - 360)
    with pytest.raises(WebhookVerificationError, match="tolerance 300 s"):
        verify(secret, old, body)
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify(secret, {"webhook-id": "m1"}, body)


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "starts with 'whsec_'"),
        ("whsec_not base64!", "not base64"),
        ("whsec_c2hvcnQ=", "at least 16 bytes"),
    ],
)
def test_a_malformed_secret_is_refused_with_a_reason(secret: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        secret_key(secret)


def test_the_ten_lines_in_the_docs_verify_our_webhooks() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "agency-push.md").read_text("utf-8")
    (code,) = [
        block.split("```", 1)[0]
        for block in doc.split("```python\n")[1:]
        if "def verify_webhook" in block
    ]
    namespace: dict[str, object] = {}
    exec(code, namespace)  # noqa: S102 - our own documentation
    verify_webhook = namespace["verify_webhook"]
    secret = new_secret()
    body = b'{"type":"case.available","timestamp":"2026-11-20T06:00:00+00:00","data":{}}'
    headers = signature_headers(secret, "wh:case.available:CB-1:batch:B1", body)
    assert verify_webhook(secret, headers, body) == "wh:case.available:CB-1:batch:B1"  # type: ignore[operator]
    with pytest.raises(ValueError, match="bad signature"):
        verify_webhook(new_secret(), headers, body)  # type: ignore[operator]


def test_during_a_rotation_a_receiver_with_either_secret_accepts_the_webhook() -> None:
    old, new = new_secret(), new_secret()
    body = b'{"type":"notice.created"}'
    headers = signature_headers([new, old], "m2", body)
    assert headers["webhook-signature"].count("v1,") == 2
    for secret in (old, new):
        assert standardwebhooks.Webhook(secret).verify(body, headers) == json.loads(body)
        assert verify(secret, headers, body) == "m2"
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(new_secret()).verify(body, headers)
