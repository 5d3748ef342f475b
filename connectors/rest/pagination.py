"""Walking through the pages of a source request: one page in memory at a time."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from connectors.base import ConfigurationError, FormatError
from connectors.rest.calls import Call
from connectors.rest.client import RestClient
from connectors.rest.options import PaginationOptions
from connectors.rest.paths import MISSING, ResponsePath
from mappings import CompiledRequest

__all__ = ["PAGE_VARIABLES", "check_pagination", "pages"]

# What pagination fills in: the names a source request may use besides its variables.
PAGE_VARIABLES = frozenset({"page", "offset", "limit", "cursor"})

_NEXT_LINK = re.compile(r'<([^>]*)>\s*;[^,]*\brel="?([^",;]*)"?')


def check_pagination(pagination: PaginationOptions, request: CompiledRequest, where: str) -> None:
    """Refuse a request that does not use what its pagination fills in: it would fetch the
    same page again and again.

    Raises:
        ConfigurationError: names the missing placeholder.
    """
    needed = {
        "page": ("page", "limit"),
        "offset": ("offset", "limit"),
        "cursor": ("cursor",),
    }.get(pagination.kind, ())
    missing = [name for name in needed if name not in request.names]
    if missing:
        shown = ", ".join(f"{{{m}}}" for m in missing)
        raise ConfigurationError(
            f"{where}: pagination {pagination.kind} fills in {shown}, but the request does not "
            "use it (put it in the query, the body or the params)"
        )


def pages(
    client: RestClient,
    request: CompiledRequest,
    values: Mapping[str, Any],
    pagination: PaginationOptions,
    records: ResponsePath,
    label: str,
) -> Iterator[tuple[list[Any], int]]:
    """Each page's records, with the page's size in bytes, until the last page."""
    kind, size = pagination.kind, pagination.size
    state: dict[str, Any] = {**values, "limit": size, "page": pagination.first_page, "offset": 0}
    state["cursor"] = None
    next_call: Call | None = None
    seen_cursors: set[str] = set()
    for number in range(1, pagination.max_pages + 1):
        call = next_call or client.prepare(request, state)
        answer = client.send(call)
        found = records.find(answer.payload)
        if found is None:
            found = []
        if found is MISSING or not isinstance(found, list):
            what = "nothing" if found is MISSING else f"a {type(found).__name__}, not a list,"
            raise FormatError(f"{label}: page {number}: the answer has {what} at {records}")
        yield found, answer.size
        if kind == "none":
            return
        if kind in ("page", "offset"):
            if len(found) < size:
                return
            state["page"] += 1
            state["offset"] += len(found)
        elif kind == "cursor":
            cursor = ResponsePath(pagination.cursor or "").find(answer.payload)
            if cursor is MISSING or cursor is None or cursor == "" or not found:
                return
            key = repr(cursor)
            if key in seen_cursors:
                raise FormatError(f"{label}: page {number}: the server sent cursor {key} again")
            seen_cursors.add(key)
            state["cursor"] = cursor
        else:  # link
            url = _next_link(answer.headers.get_list("Link"))
            if url is None:
                return
            target = urljoin(client.base_url, url)
            if _origin(target) != _origin(client.base_url):
                raise FormatError(
                    f"{label}: page {number}: the next page is on another server ({target}); "
                    "credentials are only sent to base_url"
                )
            next_call = Call("GET", target)
    raise FormatError(f"{label}: more than max_pages ({pagination.max_pages}) pages")


def _next_link(headers: list[str]) -> str | None:
    for header in headers:
        for url, rel in _NEXT_LINK.findall(header):
            if "next" in rel.split():
                return str(url)
    return None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname or "", parts.port
