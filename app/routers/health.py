"""Liveness and readiness probes (no auth)."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.db import get_engine
from app.errors import database_unavailable, language_of

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Database reachable",
    responses={503: {"description": "Database unreachable"}},
)
def readyz(request: Request) -> JSONResponse:
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not ready"
        return database_unavailable(language_of(request))
    return JSONResponse({"status": "ready"})
