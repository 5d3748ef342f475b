"""Form posts of the console (application/x-www-form-urlencoded, as browsers and HTMX send
them), read without a multipart parser: the console has no file uploads."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request

__all__ = ["Form", "read_form"]

MAX_FIELDS = 1000  # a bulk decision on a page of cases, and some room
MAX_BYTES = 256 * 1024


class Form(dict[str, list[str]]):
    """Field name → values, in the order sent."""

    def one(self, name: str, default: str = "") -> str:
        values = self.get(name)
        return values[0] if values else default

    def all(self, name: str) -> list[str]:
        return list(self.get(name, []))


async def read_form(request: Request) -> Form:
    """The posted form; an empty form for another content type or an oversized body."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return Form()
    body = await request.body()
    if len(body) > MAX_BYTES:
        return Form()
    try:
        fields = parse_qs(
            body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS
        )
    except ValueError:  # more than MAX_FIELDS fields
        return Form()
    return Form(fields)
