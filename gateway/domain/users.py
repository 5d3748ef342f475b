"""People who use the accounting and IT endpoints, their roles, and the form of their tokens.

A token reads `cbu_<token id>_<secret>`. The token id is public (it names the token in
`claimbridge user list` and `revoke`, and finds its row without a scan); the secret is shown
once, when the token is made, and only its SHA-256 is kept. SHA-256 rather than a slow password
hash because the secret is 256 random bits, not something a person chose: there is nothing to
guess, and a request must not pay for a key-stretching function.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

__all__ = [
    "DECIDERS",
    "OPERATORS",
    "READERS",
    "TOKEN_PREFIX",
    "IssuedToken",
    "Role",
    "TokenParts",
    "check_user_name",
    "issue_token",
    "parse_token",
    "secret_digest",
    "secret_matches",
]

TOKEN_PREFIX = "cbu"  # noqa: S105 - the public prefix of a token, not a secret
_TOKEN_ID_BYTES = 6  # 12 hex digits: unique enough for a few tokens per person
_SECRET_BYTES = 32
_TOKEN = re.compile(r"^cbu_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_NAME = re.compile(r"^[a-z][a-z0-9._@-]{0,63}$")


class Role(enum.StrEnum):
    """What a person does with claimbridge (see docs/it.md, "Users and roles")."""

    ACCOUNTING = "accounting"  # reviews and decides on cases, reads policies
    INTEGRATOR = "integrator"  # configures and operates: everything
    IT = "it"  # watches and retries transfers, runs jobs; reads business data, decides nothing


# The role matrix (gateway.api.security and the web console admit by these):
READERS = frozenset({Role.ACCOUNTING, Role.INTEGRATOR, Role.IT})  # business data
DECIDERS = frozenset({Role.ACCOUNTING, Role.INTEGRATOR})  # decisions on cases
OPERATORS = frozenset({Role.IT, Role.INTEGRATOR})  # transfer log, retries, jobs


def check_user_name(name: str) -> str:
    """`name` if it is a valid user name (lower case, as it appears in a case's history).

    Raises:
        ValueError: it is not, with the rule.
    """
    if not _NAME.match(name):
        raise ValueError(
            f"user name {name!r}: 1 to 64 characters, lower-case letters, digits and . _ @ -, "
            "starting with a letter"
        )
    return name


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just made: `value` is shown once and never stored."""

    token_id: str
    value: str
    digest: str  # what is stored


@dataclass(frozen=True, slots=True)
class TokenParts:
    token_id: str
    value: str


def secret_digest(value: str) -> str:
    """The stored form of a whole token: its SHA-256, hex."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def secret_matches(value: str, digest: str) -> bool:
    """Whether `value` is the token `digest` was made from, in constant time."""
    return hmac.compare_digest(secret_digest(value), digest)


def issue_token() -> IssuedToken:
    token_id = secrets.token_hex(_TOKEN_ID_BYTES)
    value = f"{TOKEN_PREFIX}_{token_id}_{secrets.token_urlsafe(_SECRET_BYTES)}"
    return IssuedToken(token_id, value, secret_digest(value))


def parse_token(value: str) -> TokenParts | None:
    """The parts of a presented token, or None if it does not have the form of one."""
    found = _TOKEN.match(value)
    return TokenParts(found.group(1), value) if found else None
