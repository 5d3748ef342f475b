"""Options of the `rest` source and write-back: everything an integrator configures.

    options:
      base_url: https://erp.example.com/api/
      style: json                       # or json_rpc
      auth: {kind: bearer, token: !env ERP_TOKEN}
      request:                          # the source: one request, repeated page by page
        path: open-items
        query: {due_before: "{as_of}", page: "{page}", per_page: "{limit}"}
      records: data                     # where the records are in each answer
      pagination: {kind: page, size: 500}

Secrets (`password`, `token`, `key`, `client_secret`) are `Secret`s: `!env NAME` or
`!secret_file PATH` only.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.secrets import Secret
from mappings import RequestLayout

__all__ = [
    "ApiKeyAuth",
    "AuthOptions",
    "BasicAuth",
    "BearerAuth",
    "NoAuth",
    "OAuth2ClientCredentials",
    "PaginationOptions",
    "RestOptions",
    "RestSourceOptions",
    "RestWriteBackOptions",
    "RetryOptions",
    "SessionLogin",
]


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- authentication ------------------------------------------------------------------------


class NoAuth(_Options):
    kind: Literal["none"] = "none"


class BasicAuth(_Options):
    """HTTP Basic: the password is sent with every request."""

    kind: Literal["basic"]
    username: str = Field(min_length=1)
    password: Secret


class BearerAuth(_Options):
    """A fixed bearer token (`Authorization: Bearer ...`)."""

    kind: Literal["bearer"]
    token: Secret


class ApiKeyAuth(_Options):
    """An API key in a header of every request."""

    kind: Literal["api_key"]
    header: str = Field(default="X-API-Key", min_length=1)
    key: Secret
    prefix: str = Field(default="", description="written before the key, e.g. 'ApiKey '")


class OAuth2ClientCredentials(_Options):
    """OAuth 2.0 client credentials (RFC 6749 §4.4): a token fetched from `token_url`, used
    until it expires (or the server refuses it), then fetched again."""

    kind: Literal["oauth2_client_credentials"]
    token_url: str = Field(description="absolute, or relative to base_url")
    client_id: str = Field(min_length=1)
    client_secret: Secret
    scope: str = ""
    credentials_in: Literal["body", "basic"] = Field(
        default="body", description="client credentials in the form body or as HTTP Basic"
    )
    extra: dict[str, str] = Field(
        default_factory=dict, description="further form fields, e.g. audience"
    )
    refresh_margin_seconds: float = Field(
        default=30, ge=0, description="fetch a new token this long before the old one expires"
    )


class SessionLogin(_Options):
    """A login request whose answer opens a session, then a header that carries it; logs in
    again when the server says the session expired.

    Tryton: `login: {call: common.db.login, params: ["{username}", {password: "{password}"},
    "en"]}`, `capture: {user_id: "0", key: "1"}`, `scheme: Session`,
    `token: "{username}:{user_id}:{key}"`, `encoding: base64`.
    """

    kind: Literal["session"]
    username: str = Field(min_length=1)
    password: Secret
    login: RequestLayout = Field(
        description="the login request; {username} and {password} are filled in"
    )
    capture: dict[str, str] = Field(
        min_length=1, description="names for parts of the login answer (paths)"
    )
    header: str = Field(default="Authorization", min_length=1)
    scheme: str = Field(default="", description="written before the token, e.g. Session")
    token: str = Field(description="the header's value, a template over the captured names")
    encoding: Literal["none", "base64"] = "none"
    expired_status: list[int] = Field(
        default_factory=lambda: [401],
        description="HTTP statuses that mean the session expired: log in again, once",
    )


AuthOptions = Annotated[
    NoAuth | BasicAuth | BearerAuth | ApiKeyAuth | OAuth2ClientCredentials | SessionLogin,
    Field(discriminator="kind"),
]


# --- transport -----------------------------------------------------------------------------


class RetryOptions(_Options):
    """Retries of one request after a timeout, a dropped connection, a 5xx or a 429."""

    attempts: int = Field(default=4, ge=1, le=20, description="attempts in all, per request")
    backoff_seconds: float = Field(default=0.5, ge=0, description="first wait; doubles each time")
    max_backoff_seconds: float = Field(default=30, ge=0)
    max_retry_after_seconds: float = Field(
        default=300, ge=0, description="a 429 asking to wait longer than this is not waited for"
    )


class RestOptions(_Options):
    """What the `rest` source and write-back share: where, how, and with which credentials."""

    base_url: str = Field(description="http(s) URL every path is relative to")
    style: Literal["json", "json_rpc"] = Field(
        default="json", description="JSON requests on paths, or JSON-RPC calls to base_url"
    )
    rpc_version: str | None = Field(
        default="2.0",
        description="the `jsonrpc` member of each call; null for servers that omit it (Tryton)",
    )
    value_format: Literal["plain", "tryton"] = Field(
        default="plain",
        description="how amounts and dates travel: plain JSON, or Tryton's __class__ objects",
    )
    decimals: Literal["string", "number"] = Field(
        default="string", description="plain JSON: amounts as strings or as numbers"
    )
    auth: AuthOptions = Field(default_factory=NoAuth)
    headers: dict[str, str] = Field(
        default_factory=dict, description="fixed headers (no secrets here: use auth)"
    )
    timeout_seconds: float = Field(default=30, gt=0)
    retry: RetryOptions = Field(default_factory=RetryOptions)
    verify_tls: bool = Field(default=True, description="check the server's certificate")
    ca_file: str | None = Field(
        default=None, description="CA certificates to trust (PEM), e.g. a company CA"
    )
    variables: dict[str, Any] = Field(
        default_factory=dict, description="constants the requests use, e.g. a company id"
    )

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url must be an http:// or https:// URL with a host")
        if parts.username or parts.password:
            raise ValueError("base_url must not carry credentials: configure `auth`")
        if parts.query or parts.fragment:
            raise ValueError("base_url takes no query or fragment: use a request's `query`")
        return v if v.endswith("/") else v + "/"

    @field_validator("headers")
    @classmethod
    def _no_secret_headers(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            if name.lower() in ("authorization", "cookie", "proxy-authorization"):
                raise ValueError(f"header {name!r} carries credentials: configure `auth`")
        return v


# --- source --------------------------------------------------------------------------------


class PaginationOptions(_Options):
    """How the source walks through pages.

    - `none`: one request.
    - `page`: `{page}` counts from `first_page`, `{limit}` is `size`; ends on a short page.
    - `offset`: `{offset}` counts records, `{limit}` is `size`; ends on a short page. In a
      JSON-RPC call, put them in `params` (Tryton's search_read: offset, limit).
    - `cursor`: `{cursor}` is empty at first, then the value found at `cursor` in the answer;
      ends when there is none.
    - `link`: follows the `Link: <...>; rel="next"` header; ends when there is none.
    """

    kind: Literal["none", "page", "offset", "cursor", "link"] = "none"
    size: int = Field(default=500, ge=1, le=100_000, description="{limit}: records per page")
    first_page: int = Field(default=1, ge=0)
    cursor: str | None = Field(
        default=None, description="cursor: where the next cursor is in the answer (a path)"
    )
    max_pages: int = Field(
        default=1_000_000, ge=1, description="a safety stop against a server that never ends"
    )

    @model_validator(mode="after")
    def _cursor(self) -> PaginationOptions:
        if self.kind == "cursor" and not self.cursor:
            raise ValueError("cursor pagination needs `cursor`: the path of the next cursor")
        return self


class RestSourceOptions(RestOptions):
    """Options of the `rest` source: one request, repeated page by page, is one snapshot."""

    request: RequestLayout
    records: str = Field(
        default="", description="where the list of records is in the answer (a path; '' = all)"
    )
    record_id: str | None = Field(
        default="id", description="the field that names a record in error messages"
    )
    pagination: PaginationOptions = Field(default_factory=PaginationOptions)
    flatten: bool = Field(
        default=True,
        description="nested objects and lists become dotted fields (party.name, lines.0.amount)",
    )
    company_codes: list[str] | None = Field(
        default=None,
        description=(
            "company codes every run covers in full: one with no record has no open item left "
            "(default: the company codes present in the records)"
        ),
    )

    @model_validator(mode="after")
    def _request(self) -> RestSourceOptions:
        layout = self.request
        if layout.capture or layout.applied_if or layout.cache or layout.optional:
            raise ValueError("the source request takes no capture, applied_if, cache or optional")
        _check_style(self.style, layout, "request")
        return self


class RestWriteBackOptions(RestOptions):
    """Options of the `rest` write-back; the requests are in the write-back mapping."""


def _check_style(style: str, layout: RequestLayout, where: str) -> None:
    if style == "json_rpc" and layout.call is None:
        raise ValueError(f"{where}: style json_rpc needs a `call`")
    if style == "json" and layout.call is not None:
        raise ValueError(f"{where}: `call` needs style json_rpc")
