"""Request layouts: how a record or an action is laid out as a call to an ERP's API.

A write-back mapping for an API (`kind: writeback` with a `requests` section) says, per action
kind, which requests apply one action, in order. Each request is a JSON-RPC `call` with
`params`, or an HTTP `method` on a `path` with a `query` and a JSON `body`; every part is a
template (see `mappings.templates`) filled in with the action's canonical fields, the
mapping's `fields`, the connector's `variables` and what earlier requests `capture`d:

    requests:
      set_dunning_block:
        - call: model.account.dunning.search            # find the dunning of the line
          params: [[["line", "=", "{line}"]], 0, 1, null, {company: "{company}"}]
          capture: {dunning: "0"}                       # the first id found
        - call: model.account.dunning.write
          params: [["{dunning}"], {blocked: true}, {company: "{company}"}]
      record_status: []                                 # nothing to do in this ERP

`applied_if` names a part of a request's answer that, when not empty, means the action was
applied before (a repeated delivery): its remaining requests are skipped. `skip_next_if` does
the same for the next request only (a note found by its action id is not added again; the
requests after it still run). `cache` reuses the
answer of an identical request within one delivery (lookups). A capture that finds nothing
fails the action, unless its request is `optional`: then the requests that use what it would
have captured are skipped (an item with no dunning has no dunning to block).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mappings.templates import Template

__all__ = ["CompiledRequest", "RequestLayout", "compile_request"]

_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


class RequestLayout(BaseModel):
    """One request: a JSON-RPC call or an HTTP request, every part a template."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    call: str | None = Field(default=None, min_length=1, description="JSON-RPC method")
    method: HttpMethod | None = Field(
        default=None, description="HTTP method; default GET, or POST when there is a body"
    )
    path: str = Field(default="", description="path after the base URL (a template)")
    query: dict[str, Any] = Field(default_factory=dict, description="query parameters")
    params: Any = Field(default=None, description="JSON-RPC params (a template)")
    body: Any = Field(default=None, description="JSON body (a template)")
    capture: dict[str, str] = Field(
        default_factory=dict,
        description="names for parts of the answer (paths such as `0` or `data.id`)",
    )
    applied_if: str | None = Field(
        default=None,
        description="a part of the answer that, when not empty, means the action was applied",
    )
    skip_next_if: str | None = Field(
        default=None,
        description="a part of the answer that, when not empty, means the next request was "
        "made by an earlier delivery: it is skipped",
    )
    cache: bool = Field(
        default=False, description="reuse the answer of the same request within a delivery"
    )
    optional: bool = Field(
        default=False,
        description="its captures may find nothing: the requests that use them are then skipped",
    )

    @model_validator(mode="after")
    def _style(self) -> RequestLayout:
        if self.call is not None:
            if self.body is not None:
                raise ValueError("a JSON-RPC call takes `params`, not `body`")
            if self.method not in (None, "POST"):
                raise ValueError("a JSON-RPC call is always a POST")
            if self.query:
                raise ValueError("a JSON-RPC call takes no `query`")
        elif self.params is not None:
            raise ValueError("`params` belong to a JSON-RPC `call`; an HTTP request has a `body`")
        for name in self.capture:
            if not re.match(_NAME, name):
                raise ValueError(f"capture name {name!r} is not a name (letters, digits, _)")
        return self

    @property
    def http_method(self) -> str:
        if self.call is not None:
            return "POST"
        return self.method or ("POST" if self.body is not None else "GET")


@dataclass(frozen=True, slots=True)
class CompiledRequest:
    """A request layout with its templates compiled; `names` lists every placeholder."""

    layout: RequestLayout
    where: str
    path: Template
    query: Template
    payload: Template  # JSON-RPC params or the JSON body

    @property
    def names(self) -> frozenset[str]:
        return self.path.names | self.query.names | self.payload.names

    @property
    def captures(self) -> frozenset[str]:
        return frozenset(self.layout.capture)


def compile_request(layout: RequestLayout, where: str) -> CompiledRequest:
    """Compile the templates of a request layout; `where` names it in errors."""
    payload = layout.params if layout.call is not None else layout.body
    return CompiledRequest(
        layout,
        where,
        Template(layout.path, f"{where}.path"),
        Template(layout.query, f"{where}.query"),
        Template(payload, f"{where}.{'params' if layout.call is not None else 'body'}"),
    )
