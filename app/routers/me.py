"""My account: who I am, my profile, my data (export and erasure)."""

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status

from app import clock, i18n
from app.caching import PRIVATE_REVALIDATE, cached_json, etag_responses
from app.config import get_settings
from app.db import ReadSession, WriteSession
from app.errors import (
    EMAIL_TAKEN,
    HASHING_BUSY,
    PASSWORD_CHANGED_MEANWHILE,
    PHOTO_TOO_LARGE,
    SAME_EMAIL,
    TOO_MANY_ATTEMPTS,
    WRONG_PASSWORD,
    ContentTooLarge,
    NotFound,
)
from app.models import Profile
from app.pagination import BY_TIME, PageDep, page_of
from app.schemas.common import Page, problem_responses
from app.schemas.enums import DecisionValue
from app.schemas.export import ExportOut
from app.schemas.matches import MyBlockOut, MySwipeOut
from app.schemas.notifications import (
    NotificationSettingsIn,
    NotificationSettingsOut,
    notification_text,
)
from app.schemas.profiles import ProfileOwn, ProfilePatch, ProfilePut
from app.schemas.users import (
    AcceptedOut,
    ChangeEmailIn,
    ChangePasswordIn,
    MeOut,
    SessionOut,
    SessionPage,
)
from app.security import Bearer, CurrentUser, Participant
from app.services import (
    account_tokens,
    accounts,
    credentials,
    mail_preferences,
    my_lists,
    photos,
    sessions,
)
from app.services import profiles as profile_service
from app.views.me import my_block_out, my_swipe_out

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
def read_me(user: CurrentUser, session: ReadSession, request: Request) -> Response:
    profile = session.get(Profile, user.id)
    regions = profile_service.coordinator_regions(session, user)
    me = MeOut(
        id=user.id or 0,
        email=user.email,
        name=user.name,
        role=user.role,
        side=user.side,
        regions=sorted(regions) if regions else [],
        email_verified=user.email_verified,
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
def put_profile(body: ProfilePut, user: Participant, session: WriteSession) -> ProfileOwn:
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
def patch_profile(body: ProfilePatch, user: Participant, session: WriteSession) -> ProfileOwn:
    profile = profile_service.patch_profile(session=session, user=user, body=body)
    return profile_service.own_profile(profile, user)


@router.put(
    "/photo",
    response_model=ProfileOwn,
    tags=["profile"],
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
    session: WriteSession,
) -> ProfileOwn:
    limit = get_settings().photo_max_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise ContentTooLarge(limit, PHOTO_TOO_LARGE)
    profile = photos.set_photo(session=session, user=user, data=data)
    return profile_service.own_profile(profile, user)


@router.delete(
    "/photo",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    tags=["profile"],
    summary="Profielfoto verwijderen",
    description="Remove my photo; its stored images are deleted. 204 also when there was none.",
    responses=problem_responses(401, 403),
)
def delete_photo(user: Participant, session: WriteSession) -> Response:
    assert user.id is not None
    photos.remove_photo(session=session, user_id=user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/notification-settings",
    response_model=NotificationSettingsOut,
    tags=["notifications"],
    summary="Mijn meldingsinstellingen",
    description="In-app notifications are always on; per type, mail on or off (defaults: "
    "on). `language` (nl, the default, or en) is the language of my mails.",
    responses=problem_responses(401),
)
def read_notification_settings(user: CurrentUser, session: ReadSession) -> NotificationSettingsOut:
    return mail_preferences.read_settings(session=session, user=user)


@router.put(
    "/notification-settings",
    response_model=NotificationSettingsOut,
    tags=["notifications"],
    summary="Meldingsinstellingen wijzigen",
    description='Change what is sent, e.g. `{"mail": {"behind_schedule": false}}` or '
    '`{"language": "en"}`; types and fields left out keep their value. Unknown types: 422.',
    responses=problem_responses(401, 422),
)
def put_notification_settings(
    body: NotificationSettingsIn, user: CurrentUser, session: WriteSession
) -> NotificationSettingsOut:
    return mail_preferences.update_settings(session=session, user=user, body=body)


@router.get(
    "/export",
    tags=["account"],
    response_model=ExportOut,
    summary="Al mijn gegevens (AVG inzage)",
    description="Everything stored about me: account, profile, swipes, blocks, matches, "
    "notifications. Nothing personal about anyone else.",
    responses=problem_responses(401),
)
def export_me(user: CurrentUser, session: ReadSession, request: Request) -> ExportOut:
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
def delete_me(user: CurrentUser, session: WriteSession) -> Response:
    accounts.erase_account(session=session, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/sessions",
    tags=["account"],
    response_model=SessionPage,
    summary="Mijn sessies (ingelogde apparaten)",
    description="My logins still in force, newest first: when each began and was last used "
    "(login or token refresh), the user agent and the `device_name` given at login. "
    "`current` marks the one making this request.",
    responses=problem_responses(401, 422),
)
def list_sessions(
    user: CurrentUser, bearer: Bearer, session: ReadSession, page: PageDep
) -> SessionPage:
    assert user.id is not None
    rows, next_cursor = sessions.my_sessions(
        session=session, user_id=user.id, limit=page.limit, cursor=page.cursor
    )
    return SessionPage(
        items=[
            SessionOut(
                id=row.id,
                created_at=clock.as_utc(row.created_at),
                last_used_at=clock.as_utc(row.last_used_at),
                user_agent=row.user_agent,
                device_name=row.device_name,
                current=row.id == bearer.session_id,
            )
            for row in rows
        ],
        next_cursor=next_cursor,
    )


@router.delete(
    "/sessions/{session_id}",
    tags=["account"],
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Een sessie beëindigen",
    description="Log that device out: its refresh token stops at once, its access tokens "
    "within seconds on every server. 404 for a session that is not mine or already ended.",
    responses=problem_responses(401, 404),
)
def delete_session(session_id: str, user: CurrentUser, session: WriteSession) -> Response:
    assert user.id is not None
    if len(session_id) > 32:
        raise NotFound()
    sessions.end_session(session=session, user_id=user.id, session_id=session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/password",
    tags=["account"],
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Wachtwoord wijzigen",
    description="Needs the current password (a wrong one is 422 and counts as a failed "
    "login). The new one: at least 10 characters, not a common password. Every other "
    "session ends; this one stays.",
    responses=problem_responses(
        401, PASSWORD_CHANGED_MEANWHILE, WRONG_PASSWORD, 422, TOO_MANY_ATTEMPTS, HASHING_BUSY
    ),
)
def change_password(
    body: ChangePasswordIn, user: CurrentUser, bearer: Bearer, session: WriteSession
) -> Response:
    credentials.change_password(
        session=session,
        user=user,
        current_session_id=bearer.session_id,
        current=body.current_password,
        new=body.new_password,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/email",
    tags=["account"],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AcceptedOut,
    summary="E-mailadres wijzigen",
    description="Needs my current password (a wrong one is 422 and counts as a failed login). "
    "A confirmation link goes to the new address; the change takes effect when it is used "
    "(POST /auth/verify-email) and the old address is then told. Until then nothing changes. "
    "409 if the new address is taken.",
    responses=problem_responses(
        401, EMAIL_TAKEN, SAME_EMAIL, WRONG_PASSWORD, 422, TOO_MANY_ATTEMPTS, HASHING_BUSY
    ),
)
def change_email(body: ChangeEmailIn, user: CurrentUser, session: WriteSession) -> AcceptedOut:
    account_tokens.request_email_change(
        session=session, user=user, new_email=str(body.new_email), password=body.password
    )
    return AcceptedOut(detail="We sent a confirmation link to the new address.")


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
    session: ReadSession,
    page: PageDep,
    decision: Annotated[DecisionValue | None, Query()] = None,
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
        my_swipe_out,
        lambda r: [r.swipe.id],
    )
    return Page[MySwipeOut](items=items, next_cursor=cursor)


@router.get(
    "/blocks",
    tags=["feed"],
    response_model=Page[MyBlockOut],
    summary="Mijn blokkades",
    description="The people I blocked, newest first, to lift a block with DELETE "
    "/blocks/{user_id}.",
    responses=problem_responses(401, 403, 422),
)
def list_my_blocks(user: Participant, session: ReadSession, page: PageDep) -> Page[MyBlockOut]:
    assert user.id is not None
    rows = my_lists.my_blocks(
        session=session, user_id=user.id, after=page.after(BY_TIME), limit=page.limit
    )
    items, cursor = page_of(
        rows,
        page.limit,
        lambda r: my_block_out(*r),
        lambda r: [clock.as_utc(r[0].created_at).isoformat(), r[0].blocked_id],
    )
    return Page[MyBlockOut](items=items, next_cursor=cursor)
