"""The throttle of failed authentications, per user name and per client address.

The state is in the database (`auth_failures`), so that the limits hold across every
`claimbridge serve` process behind a load balancer. Limits (`security.failed_logins`): at most
`per_user` failed console sign-ins for one user name, and at most `per_address` failed
authentications (console sign-ins, user tokens, agency keys) from one client address, in a
window that starts with the first failure; past a limit, the key is refused until its window
is over, with the seconds to wait (HTTP 429, Retry-After).

Where each applies:
- the console's sign-in (passwords people choose): both keys are checked before the password
  is (a refused attempt costs no scrypt), and a success clears the user's count;
- user tokens and agency keys (256 random bits: nothing to guess): per address only, and only
  on failure, so that a valid key is never slowed by a database write nor refused for its
  address, and a stranger who knows a user's public token id cannot lock that user out.

Unknown user names are counted like known ones: the answers must not tell which names exist.
Neither a password nor a token is ever part of a key or a log line.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from gateway.config.security import FailedLoginsConfig
from gateway.storage.database import Store
from gateway.storage.repositories.auth_failures import AuthFailures, FailureCount

__all__ = ["FailedLogins", "Throttled"]

log = logging.getLogger(__name__)

_MAX_KEY = 200


@dataclass(frozen=True, slots=True)
class Throttled:
    """Refused for too many failures: `retry_after` seconds to wait (at least 1)."""

    retry_after: int
    what: str  # "user" or "address": which limit was reached (for the log, not the answer)


def _user_key(name: str) -> str:
    return ("user:" + name.strip().casefold())[:_MAX_KEY]


def _address_key(address: str) -> str:
    return ("address:" + address)[:_MAX_KEY]


def _keys(user: str | None, address: str | None) -> list[str]:
    keys = [_user_key(user)] if user else []
    return keys + ([_address_key(address)] if address else [])


class FailedLogins:
    def __init__(self, store: Store, limits: FailedLoginsConfig) -> None:
        self.store, self.limits = store, limits

    def _limit(self, key: str) -> int:
        return self.limits.per_user if key.startswith("user:") else self.limits.per_address

    def _refusal(self, counts: list[FailureCount], now: datetime, over: int) -> Throttled | None:
        """The longest wait among the keys whose count is `over` their limit or more."""
        waits = [
            (c.window_started_at + self.limits.window - now, c.key)
            for c in counts
            if c.failures >= self._limit(c.key) + over
        ]
        if not waits:
            return None
        wait, key = max(waits)
        return Throttled(max(1, math.ceil(wait.total_seconds())), key.partition(":")[0])

    def check(self, user: str | None, address: str | None, now: datetime) -> Throttled | None:
        """Before checking a password: whether `user` or `address` has used up its failures."""
        keys = _keys(user, address)
        try:
            with self.store.unit_of_work(read_only=True) as session:
                counts = AuthFailures(session).current(keys, now, self.limits.window)
        except SQLAlchemyError as exc:  # a sign-in must not fail over the throttle's state
            log.warning("could not read the failed sign-ins: %s", exc)
            return None
        return self._refusal(counts, now, over=0)

    def failed(self, user: str | None, address: str | None, now: datetime) -> Throttled | None:
        """Count a failure of `user` (a console sign-in) and/or `address`; a Throttled when
        this failure went past a limit (answer 429 rather than 401)."""
        keys = _keys(user, address)
        try:
            with self.store.unit_of_work() as session:
                failures = AuthFailures(session)
                counts = [failures.record(key, now, self.limits.window) for key in keys]
                failures.forget_before(now - self.limits.window)
        except SQLAlchemyError as exc:
            log.warning("could not record a failed sign-in: %s", exc)
            return None
        refused = self._refusal(counts, now, over=1)
        if refused is not None:
            # The name typed is not logged: people type passwords into the wrong field.
            log.warning(
                "too many failed authentications (%s limit) from %s: refused for %s s",
                refused.what,
                address or "?",
                refused.retry_after,
            )
        return refused

    def succeeded(self, user: str) -> None:
        """A right password: the user's count starts again (the address's does not)."""
        try:
            with self.store.unit_of_work() as session:
                AuthFailures(session).clear(_user_key(user))
        except SQLAlchemyError as exc:
            log.warning("could not reset the failed sign-ins of a user: %s", exc)
