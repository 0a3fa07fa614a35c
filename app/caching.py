"""HTTP caching: ETags and 304s for the few answers worth revalidating, and the Cache-Control
of each kind of answer. Everything else under /api/v1 is `no-store` (app/middleware.py)."""

import hashlib
from typing import Any

import orjson
from fastapi import Request, Response
from pydantic import BaseModel

# Code lists change only with a deploy: any cache may keep them a day, then revalidate.
PUBLIC_LONG = "public, max-age=86400"
# Personal: only the caller's own client may store it, and must revalidate each time
# (If-None-Match answers 304 when nothing changed). Never a shared cache.
PRIVATE_REVALIDATE = "private, no-cache"


def etag_of(body: bytes) -> str:
    """A weak validator (the same for the gzip and plain encodings of one body)."""
    return 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def cached_json(
    request: Request,
    content: BaseModel | dict[str, Any] | bytes,
    *,
    cache_control: str,
    etag: str | None = None,
) -> Response:
    """The JSON answer with ETag and Cache-Control, or 304 without a body when the client's
    If-None-Match already names this version."""
    if isinstance(content, BaseModel):
        body = orjson.dumps(content.model_dump(mode="json"))
    elif isinstance(content, dict):
        body = orjson.dumps(content)
    else:
        body = content
    etag = etag or etag_of(body)
    headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if cache_control.startswith("private"):
        headers["Vary"] = "Authorization, Accept-Encoding, Accept-Language"
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def etag_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: the 304 and the ETag/Cache-Control headers of a cached_json answer."""
    return {
        304: {"description": "Not modified: the If-None-Match version is current (no body)."},
        200: {
            "description": description,
            "headers": {
                "ETag": {
                    "description": "Send it back in If-None-Match.",
                    "schema": {"type": "string"},
                },
                "Cache-Control": {"schema": {"type": "string"}},
            },
        },
    }
