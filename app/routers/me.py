"""My account: who I am, my profile, my data (export and erasure)."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Response, UploadFile, status

from app.config import get_settings
from app.db import SessionDep
from app.errors import ContentTooLarge
from app.models import Profile
from app.schemas.common import problem_responses
from app.schemas.profiles import ProfileOwn, ProfilePatch, ProfilePut
from app.schemas.users import MeOut
from app.security import CurrentUser, Participant
from app.services import accounts, photos
from app.services import profiles as profile_service

router = APIRouter(prefix="/me", tags=["account"])


@router.get(
    "",
    response_model=MeOut,
    summary="Mijn account",
    description="My account and, for participants, my own full profile (or null).",
    responses=problem_responses(401),
)
def read_me(user: CurrentUser, session: SessionDep) -> MeOut:
    profile = session.get(Profile, user.id)
    regions = profile_service.coordinator_regions(session, user)
    return MeOut(
        id=user.id or 0,
        email=user.email,
        name=user.name,
        role=user.role,
        side=user.side,
        regions=sorted(regions) if regions else [],
        profile=profile_service.own_profile(profile, user) if profile else None,
    )


@router.put(
    "/profile",
    response_model=ProfileOwn,
    tags=["profiel"],
    summary="Profiel aanmaken of vervangen",
    description="Create or replace my profile. Fields left out return to their defaults. "
    "Codes come from GET /api/v1/vocabulary.",
    responses=problem_responses(401, 403, 422),
)
def put_profile(body: ProfilePut, user: Participant, session: SessionDep) -> ProfileOwn:
    profile = profile_service.put_profile(session=session, user=user, body=body)
    return profile_service.own_profile(profile, user)


@router.patch(
    "/profile",
    response_model=ProfileOwn,
    tags=["profiel"],
    summary="Profiel deels wijzigen",
    description='Change only the fields sent, e.g. `{"discoverable": false}` to pause.',
    responses=problem_responses(401, 403, 422),
)
def patch_profile(body: ProfilePatch, user: Participant, session: SessionDep) -> ProfileOwn:
    profile = profile_service.patch_profile(session=session, user=user, body=body)
    return profile_service.own_profile(profile, user)


@router.put(
    "/photo",
    response_model=ProfileOwn,
    tags=["profiel"],
    summary="Profielfoto uploaden of vervangen",
    description="A JPEG, PNG or WebP photo (multipart field `file`, up to PHOTO_MAX_BYTES, "
    "default 10 MB). The image is decoded for real (file name and Content-Type are ignored), "
    "turned upright by its EXIF orientation, stripped of all metadata (GPS, camera, dates) "
    "and stored as a card image (long side 720 px) and a 160 px square thumbnail. Refused "
    "with 422: anything that is not such an image, animated images, more than "
    "PHOTO_MAX_PIXELS pixels, sides under 64 px or longer than 4 x the other, damaged files. "
    "Nothing is stored on refusal. Answers my own profile with its `photo`.",
    responses=problem_responses(401, 403, 413, 422),
)
def put_photo(
    file: Annotated[UploadFile, File(description="The photo (JPEG, PNG or WebP).")],
    user: Participant,
    session: SessionDep,
) -> ProfileOwn:
    limit = get_settings().photo_max_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise ContentTooLarge(photos.PHOTO_TOO_LARGE.format(limit=limit))
    profile = photos.set_photo(session=session, user=user, data=data)
    return profile_service.own_profile(profile, user)


@router.delete(
    "/photo",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    tags=["profiel"],
    summary="Profielfoto verwijderen",
    description="Remove my photo; its stored images are deleted. 204 also when there was none.",
    responses=problem_responses(401, 403),
)
def delete_photo(user: Participant, session: SessionDep) -> Response:
    assert user.id is not None
    photos.remove_photo(session=session, user_id=user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/export",
    summary="Al mijn gegevens (AVG inzage)",
    description="Everything stored about me: account, profile, swipes, blocks, matches, "
    "notifications. Nothing personal about anyone else.",
    responses=problem_responses(401),
)
def export_me(user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    return accounts.export_data(session=session, user=user)


@router.delete(
    "",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Account verwijderen (AVG)",
    description="Erase my personal data. Ongoing matches end; partners see "
    "'former participant'. Login and existing tokens stop working.",
    responses=problem_responses(401),
)
def delete_me(user: CurrentUser, session: SessionDep) -> Response:
    accounts.erase_account(session=session, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
