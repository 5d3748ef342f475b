"""A call ready to send to a REST or JSON-RPC API, and the answer that came back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx

__all__ = ["Answer", "Call"]


@dataclass(frozen=True, slots=True)
class Call:
    """A request ready to send: `rpc` is the JSON-RPC method (then `payload` is its params),
    otherwise `payload` is the JSON body (None: no body)."""

    method: str
    url: str
    query: Mapping[str, str] = field(default_factory=dict)
    payload: Any = None
    rpc: str | None = None

    def describe(self, base_url: str) -> str:
        """The endpoint in words, for errors and the transfer log (no query: never secrets)."""
        url = urljoin(base_url, self.url.lstrip("/")) if self.url else base_url
        if self.rpc is not None:
            return f"JSON-RPC {self.rpc} at {url}"
        return f"{self.method} {url}"


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back: the JSON (for JSON-RPC, its result), the headers, the size in bytes."""

    payload: Any
    headers: httpx.Headers
    size: int
