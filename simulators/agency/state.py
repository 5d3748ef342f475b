"""What the simulated agency holds: the cases claimbridge pushed to it, the notices and the
webhooks it received, and the idempotency keys it has seen. In memory, shared by its HTTP app
and whoever drives it (the demo, the tests); guarded by one lock, as requests arrive on
uvicorn's threads."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from simulators.agency.events import AgencyCase

__all__ = ["Answer", "SimulatedAgency"]


@dataclass(frozen=True, slots=True)
class Answer:
    """A response the agency gave, kept to replay it for the same Idempotency-Key."""

    status: int
    body: dict[str, Any]
    body_sha256: str


@dataclass
class SimulatedAgency:
    """A collection agency with a REST API (see simulators.agency.app).

    `api_key`: what claimbridge must send (`Authorization: Bearer <key>`, or Basic with the
    key as password). `webhook_secrets`: "whsec_..." secrets its webhook endpoint accepts.
    `refuse_countries`: debtors of these countries are refused, as `refusal_style` says: with
    HTTP 422, or with HTTP 200 and `success: false` (as some agencies do).
    """

    name: str = "SIM"
    api_key: str = "sim-agency-key"
    webhook_secrets: tuple[str, ...] = ()
    refuse_countries: frozenset[str] = frozenset()
    refusal_style: Literal["http", "success_flag"] = "http"
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    notices: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhooks_refused: int = 0
    requests: int = 0
    _answers: dict[str, Answer] = field(default_factory=dict)
    _failures: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next `count` creation requests with `status` (an outage)."""
        with self.lock:
            self._failures.extend([status] * count)

    def take_failure(self) -> int | None:
        with self.lock:
            return self._failures.pop(0) if self._failures else None

    def idempotent(self, scope: str, key: str, body: bytes, work: Any) -> tuple[Answer, bool]:
        """Run `work()` (→ (status, body)) once per (scope, key); the same key again replays
        the first answer (True) if the body is the same, and is refused with 422 if not."""
        digest = hashlib.sha256(body).hexdigest()
        with self.lock:
            seen = self._answers.get(f"{scope}:{key}")
            if seen is not None:
                if seen.body_sha256 != digest:
                    return Answer(
                        422,
                        {
                            "success": False,
                            "message": f"Idempotency-Key {key!r} was used with another body",
                        },
                        digest,
                    ), False
                return seen, True
            status, answer = work()
            result = Answer(status, answer, digest)
            if status < 500:
                self._answers[f"{scope}:{key}"] = result
            return result, False

    def save(self, path: Path) -> None:
        """Keep what the agency knows (cases, notices) across runs, as a real agency does."""
        with self.lock:
            document = {"cases": self.cases, "notices": self.notices}
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(document, indent=1, sort_keys=True), encoding="utf-8")

    def restore(self, path: Path) -> None:
        """What `save` kept, if anything."""
        if not path.exists():
            return
        document = json.loads(path.read_text(encoding="utf-8"))
        with self.lock:
            self.cases.update(document.get("cases", {}))
            self.notices.update(document.get("notices", {}))

    def all_cases(self) -> list[AgencyCase]:
        """Every case it was given, recalled or not, in reference order."""
        with self.lock:
            return [
                AgencyCase(c["reference"], c["currency"], Decimal(c["handed_over"]))
                for _, c in sorted(self.cases.items())
            ]

    def open_cases(self) -> list[AgencyCase]:
        """The cases it works (not recalled), as the event generator takes them."""
        with self.lock:
            return [
                AgencyCase(c["reference"], c["currency"], Decimal(c["handed_over"]))
                for c in self.cases.values()
                if not c.get("recalled")
            ]
