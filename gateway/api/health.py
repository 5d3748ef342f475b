"""Liveness (the process answers) and readiness (it can serve: database and schema)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from gateway.api.deps import get_store
from gateway.storage.database import Store
from gateway.storage.migrations import current_revision, head_revision

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/livez", summary="The process is alive (checks nothing else)")
def livez() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Ready to serve: the database answers and its schema is the one this version needs",
    responses={503: {"description": "not ready; `reason` says why"}},
)
def readyz(store: Annotated[Store, Depends(get_store)]) -> JSONResponse:
    try:
        with store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means not ready, said in the answer
        return JSONResponse(
            {"status": "unavailable", "reason": f"database unreachable: {type(exc).__name__}"},
            status_code=503,
        )
    current, head = current_revision(store.engine), head_revision(store.engine)
    if current != head:
        return JSONResponse(
            {
                "status": "unavailable",
                "reason": f"database schema at {current or 'nothing'}, this version needs {head}: "
                "run `claimbridge db upgrade`",
            },
            status_code=503,
        )
    return JSONResponse({"status": "ready", "schema": head})
