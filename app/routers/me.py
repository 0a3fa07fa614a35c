"""My account: who I am, my profile, my data (export and erasure)."""

from fastapi import APIRouter, Response, status

from app.db import SessionDep
from app.models import Profile
from app.schemas.common import problem_responses
from app.schemas.export import ExportOut
from app.schemas.profiles import ProfileOwn, ProfilePatch, ProfilePut
from app.schemas.users import MeOut
from app.security import CurrentUser, Participant
from app.services import accounts
from app.services import profiles as profile_service

router = APIRouter(prefix="/me")  # tags per route: one tag per operation


@router.get(
    "",
    tags=["account"],
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
    tags=["profile"],
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
    tags=["profile"],
    summary="Profiel deels wijzigen",
    description='Change only the fields sent, e.g. `{"discoverable": false}` to pause.',
    responses=problem_responses(401, 403, 422),
)
def patch_profile(body: ProfilePatch, user: Participant, session: SessionDep) -> ProfileOwn:
    profile = profile_service.patch_profile(session=session, user=user, body=body)
    return profile_service.own_profile(profile, user)


@router.get(
    "/export",
    tags=["account"],
    response_model=ExportOut,
    summary="Al mijn gegevens (AVG inzage)",
    description="Everything stored about me: account, profile, swipes, blocks, matches, "
    "notifications. Nothing personal about anyone else.",
    responses=problem_responses(401),
)
def export_me(user: CurrentUser, session: SessionDep) -> ExportOut:
    return ExportOut.model_validate(accounts.export_data(session=session, user=user))


@router.delete(
    "",
    tags=["account"],
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
