"""Who may call the accounting and IT endpoints.

PLACEHOLDER until issue 7 (authentication of accounting and IT users) is merged: every
dependency here refuses every request with 501 Not Implemented, so that no accounting or IT
endpoint is ever open by accident. Issue 7 replaces this module with the real dependencies; the
endpoints already depend on these names and need no change. Tests override them with FastAPI's
`app.dependency_overrides` (`app.dependency_overrides[accounting_user] = lambda: "alice"`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, status

__all__ = ["AccountingUser", "ItUser", "accounting_user", "it_user"]


def accounting_user() -> str:
    """The name of the accounting user making the request (placeholder: always 501)."""
    raise HTTPException(
        status_code=status.HTTP_501_NOT_IMPLEMENTED,
        detail="accounting endpoints need authentication, which this version does not have yet",
    )


AccountingUser = Annotated[str, Depends(accounting_user)]


@dataclass(frozen=True, slots=True)
class ItUser:
    """An authenticated IT operator."""

    name: str


def it_user() -> ItUser:
    """The IT operator making the request (placeholder: always 501)."""
    raise HTTPException(
        status_code=status.HTTP_501_NOT_IMPLEMENTED,
        detail="authentication of IT users is not available in this build yet",
    )
