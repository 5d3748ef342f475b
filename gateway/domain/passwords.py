"""Passwords of the people who sign in to the web console, kept as scrypt hashes.

scrypt (RFC 7914, in Python's standard library through OpenSSL) is memory-hard: each guess costs
`N * r * 128` bytes of memory (32 MiB here) as well as time, which is what makes a stolen hash
table expensive to attack with GPUs. The stored form names its parameters, so they can be raised
later and old hashes still verify (and are re-hashed at the next sign-in, see `needs_rehash`):

    scrypt$<log2 N>$<r>$<p>$<salt, base64>$<key, base64>

API tokens are not passwords and stay SHA-256 (gateway.domain.users explains why).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "PasswordRejected",
    "check_password_rules",
    "hash_password",
    "needs_rehash",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # a longer "password" is a denial-of-service attempt
_SCHEME = "scrypt"


@dataclass(frozen=True, slots=True)
class ScryptCost:
    log2_n: int = 15  # N = 32768
    r: int = 8
    p: int = 1

    @property
    def memory(self) -> int:
        return 128 * self.r * (1 << self.log2_n)


COST = ScryptCost()
_KEY_BYTES = 32
_SALT_BYTES = 16


class PasswordRejected(ValueError):
    """A new password that does not meet the rules (the message says which)."""


def check_password_rules(password: str, user_name: str) -> None:
    """Refuse a password too short, too long, or containing the user's own name.

    Raises:
        PasswordRejected: with the rule it breaks.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(
            f"the password has {len(password)} characters; at least {MIN_PASSWORD_LENGTH} "
            "are needed (a phrase of several words is easy to remember)"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(f"the password is longer than {MAX_PASSWORD_LENGTH} characters")
    if user_name and user_name.casefold() in password.casefold():
        raise PasswordRejected("the password must not contain the user name")


def _derive(password: str, salt: bytes, cost: ScryptCost) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=1 << cost.log2_n,
        r=cost.r,
        p=cost.p,
        maxmem=cost.memory * 2,
        dklen=_KEY_BYTES,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, cost: ScryptCost = COST) -> str:
    """The stored form of `password`, with a fresh random salt."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _derive(password, salt, cost)
    return f"{_SCHEME}${cost.log2_n}${cost.r}${cost.p}${_b64(salt)}${_b64(key)}"


def _parse(stored: str) -> tuple[ScryptCost, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        return None
    try:
        cost = ScryptCost(int(parts[1]), int(parts[2]), int(parts[3]))
        return cost, base64.b64decode(parts[4]), base64.b64decode(parts[5])
    except ValueError:
        return None


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` is the one `stored` was made from (constant-time comparison).

    With no stored hash (a user who has no password) a hash is still computed, so that a
    sign-in as such a user takes as long as one with a wrong password."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    parsed = _parse(stored) if stored else None
    if parsed is None:
        _derive(password, b"\0" * _SALT_BYTES, COST)
        return False
    cost, salt, key = parsed
    return hmac.compare_digest(_derive(password, salt, cost), key)


def needs_rehash(stored: str) -> bool:
    """Whether `stored` was made with other parameters than today's."""
    parsed = _parse(stored)
    return parsed is None or parsed[0] != COST
