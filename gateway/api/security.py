"""Who may call the accounting and IT endpoints.

PLACEHOLDER until issue 7 (authentication of accounting and IT users) is merged: `it_user`
refuses every request with 501 Not Implemented, so that the IT endpoints (transfer log, jobs)
are never open by accident. Issue 7 replaces this module with the real dependencies; the
endpoints already depend on `it_user` and need no change. Tests override it with FastAPI's
`app.dependency_overrides`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, status

__all__ = ["ItUser", "it_user"]


@dataclass(frozen=True, slots=True)
class ItUser:
    """An authenticated IT operator."""

    name: str


def it_user() -> ItUser:
    """The IT operator making the request (placeholder: always 501, see the module)."""
    raise HTTPException(
        status_code=status.HTTP_501_NOT_IMPLEMENTED,
        detail="authentication of IT users is not available in this build yet",
    )
