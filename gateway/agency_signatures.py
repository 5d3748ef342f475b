"""The `X-Signature` of an agency's request to claimbridge's agency API (docs/agency.md, "2.
Authentication and signatures"): what an agency computes, and what claimbridge checks.

    X-Signature: t=<unix seconds>,v2=<hex HMAC-SHA256(signing secret, message)>
    message = "v2" LF <t> LF <METHOD> LF <path?query as sent> LF <raw body>

Version 2 signs the method, the request target (path and query string, exactly as sent in the
request line: percent-encoded, the query in its order) and the timestamp with the body, so that
a signed request cannot be replayed against another endpoint or with other parameters (a
signed acknowledgement of one case presented as another request, a GET's query changed). LF
separates the parts: neither the method nor a request target contains one, so no two requests
sign the same message.

Version 1 (`v1=<hex HMAC(secret, "<t>." + body)>`) signs the body only. It is deprecated: it is
accepted only from agencies whose `api.accept_v1_signatures` is true (the default, for the
agencies that sign with it today; it will become false), and each request accepted on it is
logged as a warning naming the agency. Several values of a version may be given (while the
secret is rotated); when a v2 value is given, v1 values are ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

__all__ = [
    "MAX_TIMESTAMP_DIGITS",
    "SIGNATURE_TOLERANCE",
    "SignatureRefused",
    "signature_header",
    "signature_v1",
    "signature_v2",
    "signed_message_v2",
    "verify_signature",
]

SIGNATURE_TOLERANCE = 300  # seconds either side of the server's clock
MAX_TIMESTAMP_DIGITS = 12  # unix seconds until the year 33658: anything longer is not a time


class SignatureRefused(ValueError):
    """The X-Signature header does not prove the request (the message says why, never a
    secret)."""


def signed_message_v2(timestamp: int, method: str, target: str, body: bytes) -> bytes:
    """The bytes a version 2 signature is the HMAC of."""
    return f"v2\n{timestamp}\n{method.upper()}\n{target}\n".encode() + body


def signature_v2(secret: str, timestamp: int, method: str, target: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of a request (version 2)."""
    message = signed_message_v2(timestamp, method, target, body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_v1(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of a body (version 1, deprecated: the body only)."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, method: str, target: str, body: bytes) -> str:
    """The `X-Signature` value an agency sends (version 2)."""
    return f"t={timestamp},v2={signature_v2(secret, timestamp, method, target, body)}"


@dataclass(frozen=True, slots=True)
class _Parsed:
    timestamp: int
    values: dict[str, list[str]]


def _parse(header: str) -> _Parsed:
    values: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        values.setdefault(name, []).append(value)
    stamp = values.get("t", [""])[0]
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > MAX_TIMESTAMP_DIGITS:
        raise SignatureRefused("X-Signature: t=<unix seconds> missing or not a number")
    return _Parsed(int(stamp), values)


def verify_signature(
    header: str,
    secret: str,
    method: str,
    target: str,
    body: bytes,
    *,
    accept_v1: bool,
    now: float | None = None,
) -> str:
    """Check an X-Signature header; returns the version that proved it ("v2" or "v1").

    Raises:
        SignatureRefused: the timestamp is missing or too far from now, or no value of an
            accepted version matches.
    """
    parsed = _parse(header)
    current = time.time() if now is None else now
    if abs(current - parsed.timestamp) > SIGNATURE_TOLERANCE:
        raise SignatureRefused(
            f"X-Signature: timestamp {parsed.timestamp} is more than {SIGNATURE_TOLERANCE} s "
            "away from the server's time"
        )
    given_v2 = parsed.values.get("v2", [])
    if given_v2:
        expected = signature_v2(secret, parsed.timestamp, method, target, body)
        if any(hmac.compare_digest(expected.encode(), v.encode()) for v in given_v2):
            return "v2"
        raise SignatureRefused(
            "X-Signature v2 does not match the request (method, path and query as sent, "
            "timestamp, body)"
        )
    given_v1 = parsed.values.get("v1", [])
    if given_v1 and not accept_v1:
        raise SignatureRefused(
            "X-Signature v1 (body only) is no longer accepted from this agency: sign with v2 "
            "(method, path, timestamp and body; docs/agency.md)"
        )
    expected = signature_v1(secret, parsed.timestamp, body)
    if any(hmac.compare_digest(expected.encode(), v.encode()) for v in given_v1):
        return "v1"
    raise SignatureRefused("X-Signature has no v2 (or v1) value that matches the request")
