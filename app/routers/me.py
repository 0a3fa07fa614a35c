"""My account: who I am, my profile, my data (export and erasure)."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from app import clock, i18n
from app.caching import PRIVATE_REVALIDATE, cached_json, etag_responses
from app.db import SessionDep
from app.errors import INVALID_CURSOR, Invalid
from app.models import Profile
from app.pagination import MAX_ID, PageDep, decode_cursor, page_of
from app.schemas.common import Page, problem_responses
from app.schemas.export import ExportOut
from app.schemas.matches import MyBlockOut, MySwipeOut
from app.schemas.notifications import notification_text
from app.schemas.profiles import ProfileOwn, ProfilePatch, ProfilePut
from app.schemas.users import MeOut
from app.security import CurrentUser, Participant
from app.services import accounts, my_lists
from app.services import profiles as profile_service

router = APIRouter(prefix="/me")  # tags per route: one tag per operation


@router.get(
    "",
    tags=["account"],
    response_model=MeOut,
    summary="Mijn account",
    description="My account and, for participants, my own full profile (or null). Private "
    "to me (`Cache-Control: private, no-cache`) with an ETag: If-None-Match answers 304 "
    "while nothing changed.",
    responses=problem_responses(401) | etag_responses("My account"),
)
def read_me(user: CurrentUser, session: SessionDep, request: Request) -> Response:
    profile = session.get(Profile, user.id)
    regions = profile_service.coordinator_regions(session, user)
    me = MeOut(
        id=user.id or 0,
        email=user.email,
        name=user.name,
        role=user.role,
        side=user.side,
        regions=sorted(regions) if regions else [],
        profile=profile_service.own_profile(profile, user) if profile else None,
    )
    return cached_json(request, me, cache_control=PRIVATE_REVALIDATE)


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
def export_me(user: CurrentUser, session: SessionDep, request: Request) -> ExportOut:
    data = accounts.export_data(session=session, user=user)
    lang = i18n.for_user(user, request.headers.get("accept-language"))
    data["notifications"] = [
        n | {"text": notification_text(n["type"], n["data"], lang)} for n in data["notifications"]
    ]
    return ExportOut.model_validate(data)


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


@router.get(
    "/swipes",
    tags=["feed"],
    response_model=Page[MySwipeOut],
    summary="Mijn swipes",
    description="My likes and passes, newest first; `undoable` marks those DELETE "
    "/swipes/{target_id} can take back (no match came from them). Filter with `decision`.",
    responses=problem_responses(401, 403, 422),
)
def list_my_swipes(
    user: Participant,
    session: SessionDep,
    page: PageDep,
    decision: Annotated[Literal["like", "pass"] | None, Query()] = None,
) -> Page[MySwipeOut]:
    assert user.id is not None
    rows = my_lists.my_swipes(
        session=session,
        user_id=user.id,
        decision=decision,
        after_id=page.after_id(),
        limit=page.limit,
    )
    items, cursor = page_of(
        rows,
        page.limit,
        lambda r: MySwipeOut(
            target_id=r.swipe.target_id,
            decision="like" if r.swipe.decision == "like" else "pass",
            created_at=clock.as_utc(r.swipe.created_at),
            undoable=r.undoable,
        ),
        lambda r: [r.swipe.id],
    )
    return Page[MySwipeOut](items=items, next_cursor=cursor)


def _block_position(cursor: str | None) -> tuple[datetime, int] | None:
    if cursor is None:
        return None
    position = decode_cursor(cursor)
    try:
        created_at, user_id = position
        if not isinstance(created_at, str) or not isinstance(user_id, int):
            raise ValueError
        if not 0 < user_id <= MAX_ID:
            raise ValueError
        return clock.as_utc(datetime.fromisoformat(created_at)), user_id
    except ValueError:
        raise Invalid(INVALID_CURSOR.detail, loc=["query", "cursor"], code=INVALID_CURSOR) from None


@router.get(
    "/blocks",
    tags=["feed"],
    response_model=Page[MyBlockOut],
    summary="Mijn blokkades",
    description="The people I blocked, newest first, to lift a block with DELETE "
    "/blocks/{user_id}.",
    responses=problem_responses(401, 403, 422),
)
def list_my_blocks(user: Participant, session: SessionDep, page: PageDep) -> Page[MyBlockOut]:
    assert user.id is not None
    rows = my_lists.my_blocks(
        session=session, user_id=user.id, after=_block_position(page.cursor), limit=page.limit
    )
    items, cursor = page_of(
        rows,
        page.limit,
        lambda r: MyBlockOut(
            user_id=r[0].blocked_id, created_at=clock.as_utc(r[0].created_at), name=r[1]
        ),
        lambda r: [clock.as_utc(r[0].created_at).isoformat(), r[0].blocked_id],
    )
    return Page[MyBlockOut](items=items, next_cursor=cursor)
