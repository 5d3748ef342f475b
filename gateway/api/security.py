"""Who may call accounting's endpoints: a placeholder that refuses every request.

Authentication and roles are issue 7's work. Until it replaces `accounting_user`, every
endpoint that depends on it answers 501 Not Implemented: nothing of accounting's is served
without a known user. Tests of such endpoints override the dependency
(`app.dependency_overrides[accounting_user] = lambda: "alice"`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status

__all__ = ["AccountingUser", "accounting_user"]


def accounting_user() -> str:
    """The name of the accounting user making the request.

    Raises:
        HTTPException: 501 always, until authentication exists (issue 7).
    """
    raise HTTPException(
        status_code=status.HTTP_501_NOT_IMPLEMENTED,
        detail="accounting endpoints need authentication, which this version does not have yet",
    )


AccountingUser = Annotated[str, Depends(accounting_user)]
