"""Public profile cards and the vocabulary."""

from fastapi import APIRouter, Request, Response

from app.caching import (
    PRIVATE_REVALIDATE,
    PUBLIC_LONG,
    cached_json,
    etag_responses,
)
from app.db import ReadSession
from app.errors import NotFound
from app.models import Profile, Role, User
from app.pagination import id_in_range
from app.schemas.common import problem_responses
from app.schemas.profiles import ProfileCard
from app.schemas.vocabulary import VocabularyOut
from app.security import CurrentUser
from app.services import visibility
from app.views.vocabulary import vocabulary_document

router = APIRouter()  # tags per route: one tag per operation


@router.get(
    "/profiles/{user_id}",
    tags=["profile"],
    response_model=ProfileCard,
    summary="Profielkaart van een deelnemer",
    description="The public card. `contact` is filled only for matched partners (ongoing or "
    "past) and coordinators of the person's own region. After a block (either way) former "
    "partners no longer see each other's card (404); a coordinator who follows a pair "
    "through the other partner's region sees the card without contact. Private to the caller "
    "(`Cache-Control: private, no-cache`) with an ETag: If-None-Match answers 304 while it "
    "is unchanged.",
    responses=problem_responses(401, 404) | etag_responses("The card"),
)
def read_profile(
    user_id: int, viewer: CurrentUser, session: ReadSession, request: Request
) -> Response:
    owner = session.get(User, id_in_range(user_id))
    if owner is None or owner.is_deleted or owner.role != Role.participant:
        raise NotFound()
    profile = session.get(Profile, user_id)
    if profile is None:
        raise NotFound()
    sight = visibility.sight_of(session, viewer=viewer, subject=owner, profile=profile)
    if not sight.shows_card:
        # A stub belongs in a match's history; on its own it is nobody's business.
        raise NotFound()
    card = visibility.card_for(sight, owner, profile)
    return cached_json(request, card, cache_control=PRIVATE_REVALIDATE)


@router.get(
    "/vocabulary",
    tags=["vocabulary"],
    response_model=VocabularyOut,
    summary="Codelijsten (vakgebieden, doelen, plaatsen, ...)",
    description="Every code list with Dutch (`nl`) and English (`en`) labels. No login needed. "
    "Cacheable by anyone for a day (`Cache-Control: public`); revalidate with If-None-Match.",
    responses=etag_responses("The code lists"),
)
def vocabulary(request: Request) -> Response:
    body, etag = vocabulary_document()
    return cached_json(request, body, cache_control=PUBLIC_LONG, etag=etag)
