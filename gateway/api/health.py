"""Liveness: the process answers."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/livez", summary="The process is alive (checks nothing else)")
def livez() -> dict[str, str]:
    return {"status": "ok"}
