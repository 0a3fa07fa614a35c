"""The participants' web app (web/, built into WEB_APP_DIR) at /app: its files, and index.html
for every screen path (`/app/matches/42`, the links in mails), so that a reload or a link
opens the right screen.

Caching: Vite names every built asset by its content hash (`/app/assets/index-3f1c2a9e.js`),
so those are `immutable` for a year; everything else (index.html, the service worker, the
manifest, icons) is `no-cache`: revalidated on each use, so a new build is seen at once.
"""

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, RedirectResponse

from app.config import get_settings
from app.errors import WEB_APP_NOT_BUILT, NotFound

router = APIRouter(include_in_schema=False)

PREFIX = "/app"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def content_security_policy() -> str:
    """Only this origin: scripts, styles, the API, the event stream, workers, the manifest;
    images also from MEDIA_BASE_URL's origin (a CDN for photos) and the data: and blob: URLs of
    a photo being picked. No inline script or style element, no frames, no plugins."""
    images = ["'self'", "data:", "blob:"]
    media = urlsplit(get_settings().media_base_url)
    if media.scheme in ("http", "https") and media.netloc:
        images.append(f"{media.scheme}://{media.netloc}")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {' '.join(images)}",
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _headers(cache_control: str) -> dict[str, str]:
    return {
        "Cache-Control": cache_control,
        "Content-Security-Policy": content_security_policy(),
        "X-Frame-Options": "DENY",
    }


def _resolve(root: Path, path: str) -> Path | None:
    """The built file at `path`, never outside `root`."""
    if not path or any(part.startswith(".") for part in path.split("/")):
        return None  # no dotfiles (the build's stamp), no `..`
    candidate = (root / path).resolve()
    if candidate.is_relative_to(root) and candidate.is_file():
        return candidate
    return None


@router.api_route(PREFIX, methods=["GET", "HEAD"])
def bare() -> RedirectResponse:
    """`/app` → `/app/`: the service worker's scope is `/app/`, and `/app` is not inside it."""
    return RedirectResponse(PREFIX + "/", status_code=308)


@router.api_route(PREFIX + "/", methods=["GET", "HEAD"])
def index(request: Request) -> Response:
    return _index(request, _root())


@router.api_route(PREFIX + "/{path:path}", methods=["GET", "HEAD"])
def app_file(request: Request, path: Annotated[str, PathParam(max_length=300)]) -> Response:
    root = _root()
    found = _resolve(root, path)
    if found is not None:
        cache = IMMUTABLE if path.startswith("assets/") else REVALIDATE
        return _file(request, found, cache)
    # A screen (no file extension in its last segment) is the app itself; a missing file is not.
    if "." in path.rsplit("/", 1)[-1] or path.startswith("assets/"):
        raise NotFound()
    return _index(request, root)


def _file(request: Request, path: Path, cache: str, media_type: str | None = None) -> Response:
    """The file, or 304 when the client's copy (its ETag) is current."""
    # With its stat given, FileResponse sets ETag and Last-Modified at once (not when sent).
    response = FileResponse(
        path, media_type=media_type, headers=_headers(cache), stat_result=path.stat()
    )
    if request.headers.get("if-none-match") == response.headers["etag"]:
        kept = {"etag": response.headers["etag"], **_headers(cache)}
        return Response(status_code=304, headers=kept)
    return response


def _root() -> Path:
    root = Path(get_settings().web_app_dir).resolve()
    if not (root / "index.html").is_file():
        raise NotFound(WEB_APP_NOT_BUILT)
    return root


def _index(request: Request, root: Path) -> Response:
    return _file(request, root / "index.html", REVALIDATE, media_type="text/html")
