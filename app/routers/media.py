"""Photo images behind signed, expiring URLs (outside /api/v1 and its bearer auth)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from app import clock
from app.errors import NotFound
from app.schemas.common import problem_responses
from app.services import images, photos
from app.services.storage import NAME, get_storage

router = APIRouter(tags=["profile"])


@router.get(
    photos.MEDIA_PATH + "/{name}",
    response_class=Response,
    summary="Profielfoto (ondertekende URL)",
    description="A photo image, as linked from a card's `photo`. Needs the URL's `exp` and "
    "`sig` exactly as issued; an unknown object, a wrong signature or an expired URL all "
    "answer 404. Cacheable (`public`, until the URL expires).",
    responses={
        200: {"content": {images.CONTENT_TYPE: {}}, "description": "The image (WebP)"},
        **problem_responses(404, 422),
    },
)
def read_media(
    name: Annotated[str, Path(max_length=64)],
    exp: Annotated[str | None, Query(max_length=20, description="Expiry (Unix time)")] = None,
    sig: Annotated[str | None, Query(max_length=64, description="Signature")] = None,
) -> Response:
    # Anything but a genuine, unexpired URL is a 404, whatever is wrong with it.
    if not (NAME.match(name) and exp is not None and exp.isdigit() and sig is not None):
        raise NotFound()
    expiry = int(exp)
    if not photos.valid_signature(name, expiry, sig):
        raise NotFound()
    data = get_storage().get(name)
    if data is None:
        raise NotFound()
    remaining = max(0, expiry - int(clock.now().timestamp()))
    return Response(
        data,
        media_type=images.CONTENT_TYPE,
        # Cached until the URL expires, never longer: a cache must not outlive the signature.
        headers={"Cache-Control": f"public, max-age={remaining}, immutable"},
    )
