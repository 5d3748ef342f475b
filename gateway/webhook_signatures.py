"""Standard Webhooks signatures (https://www.standardwebhooks.com), as claimbridge signs its
outbound webhooks, so that an agency verifies them with a stock library.

    webhook-id:        the message id, the same on every retry (deduplicate on it)
    webhook-timestamp: unix seconds of this attempt
    webhook-signature: "v1,<base64 HMAC-SHA256(key, f'{id}.{timestamp}.{body}')>"
                       (several, space separated, while a secret is rotated)

The secret is written "whsec_<base64 of the key>": the key is the decoded bytes.

Unlike the agency's requests to us (gateway.agency_signatures, X-Signature v2), the method and
URL are not signed, on purpose: the standard's scheme is kept so that stock libraries verify it,
and nothing is lost by it: a webhook is always a POST to the one endpoint configured with its
secret, its type and case are inside the signed body, and its signed id is what the receiver
deduplicates on.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping, Sequence

__all__ = [
    "SIGNATURE_PREFIX",
    "TOLERANCE_SECONDS",
    "WebhookVerificationError",
    "new_secret",
    "secret_key",
    "sign",
    "signature_headers",
    "verify",
]

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SIGNATURE_PREFIX = "v1,"
TOLERANCE_SECONDS = 300


class WebhookVerificationError(Exception):
    """A webhook's signature does not hold: wrong secret, altered body, or too old."""


def secret_key(secret: str) -> bytes:
    """The HMAC key of a "whsec_<base64>" secret.

    Raises:
        ValueError: the secret is not of that form.
    """
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with 'whsec_' followed by base64")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise ValueError("the part after 'whsec_' of a webhook secret is not base64") from None
    if len(key) < 16:
        raise ValueError("a webhook secret must hold at least 16 bytes (24 bytes recommended)")
    return key


def new_secret(size: int = 32) -> str:
    """A fresh random secret to give an agency."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(size)).decode("ascii")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for one body."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return SIGNATURE_PREFIX + base64.b64encode(digest).decode("ascii")


def signature_headers(
    secrets_: str | Sequence[str], message_id: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """The three headers of one delivery attempt. Given several secrets (a rotation: the new
    one and the one the receiver may still hold), the body is signed with each, so that the
    receiver accepts it whichever it has."""
    timestamp = int(time.time() if now is None else now)
    keys = [secrets_] if isinstance(secrets_, str) else list(secrets_)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(k, message_id, timestamp, body) for k in keys),
    }


def verify(
    secrets_: str | Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> str:
    """Check a received webhook; returns its id. `secrets_` may list the old and the new
    secret during a rotation. `headers` must be case-insensitive or lower-case.

    Raises:
        WebhookVerificationError: a header is missing, the timestamp is outside the
            tolerance, or no signature matches.
    """
    message_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    given = headers.get("webhook-signature")
    if not message_id or not stamp or not given:
        raise WebhookVerificationError(
            "missing webhook-id, webhook-timestamp or webhook-signature header"
        )
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError(f"webhook-timestamp {stamp!r} is not a number") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp is {int(current - timestamp)} s away from now "
            f"(tolerance {tolerance} s)"
        )
    candidates = [s for s in given.split(" ") if s.startswith(SIGNATURE_PREFIX)]
    for secret in [secrets_] if isinstance(secrets_, str) else secrets_:
        expected = sign(secret, message_id, timestamp, body)
        if any(hmac.compare_digest(expected, c) for c in candidates):
            return message_id
    raise WebhookVerificationError("no signature matches")
