"""Options of the `rest-push` agency channel.

    agencies:
      inkasso:
        channel: rest-push
        options:
          base_url: https://api.inkasso.example/v2/
          auth: {kind: bearer, token: !env INKASSO_TOKEN}
          timeout_seconds: 20

Secrets (`token`, `password`) are `!env NAME` or `!secret_file PATH` only.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.rest.options import BasicAuth, BearerAuth, NoAuth

__all__ = ["PushAuth", "RestPushOptions"]

PushAuth = Annotated[NoAuth | BasicAuth | BearerAuth, Field(discriminator="kind")]


class RestPushOptions(BaseModel):
    """Where the agency's API is and how to authenticate to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(description="the agency API's root, e.g. https://api.agency.example/v1")
    auth: PushAuth = Field(default_factory=NoAuth)
    timeout_seconds: float = Field(default=30, gt=0, le=600)
    verify_tls: bool = True
    cases_path: str = Field(default="cases", description="POST one case here")
    recall_path: str = Field(
        default="cases/{reference}/recall", description="POST a recall notice here"
    )
    direct_payment_path: str = Field(
        default="cases/{reference}/direct-payments",
        description="POST a direct-payment notice here",
    )
    check_path: str = Field(
        default="", description="GET for the connection test (default: the base URL)"
    )

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{v!r} is not an http(s) URL (e.g. https://api.agency.example/v1)")
        if parts.username or parts.password:
            raise ValueError("credentials do not belong in base_url: use `auth`")
        return v.rstrip("/") + "/"

    @field_validator("recall_path", "direct_payment_path")
    @classmethod
    def _has_reference(cls, v: str) -> str:
        if "{reference}" not in v:
            raise ValueError(f"{v!r} must contain {{reference}} (the case reference)")
        return v
