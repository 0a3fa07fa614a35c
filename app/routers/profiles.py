"""Public profile cards and the vocabulary."""

from typing import Any

from fastapi import APIRouter

from app.db import SessionDep
from app.errors import NotFound
from app.models import Profile, Role, User
from app.pagination import id_in_range
from app.schemas.common import problem_responses
from app.schemas.profiles import ProfileCard
from app.security import CurrentUser
from app.services import visibility
from app.vocabulary import get_vocabulary

router = APIRouter(tags=["profiel"])


@router.get(
    "/profiles/{user_id}",
    response_model=ProfileCard,
    summary="Profielkaart van een deelnemer",
    description="The public card. `contact` is filled only for matched partners (ongoing or "
    "past) and coordinators of the person's own region. After a block (either way) former "
    "partners no longer see each other's card (404); a coordinator who follows a pair "
    "through the other partner's region sees the card without contact.",
    responses=problem_responses(401, 404),
)
def read_profile(user_id: int, viewer: CurrentUser, session: SessionDep) -> ProfileCard:
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
    return visibility.card_for(sight, owner, profile)


@router.get(
    "/vocabulary",
    tags=["vocabulaire"],
    summary="Codelijsten (vakgebieden, doelen, plaatsen, ...)",
    description="Every code list with Dutch (`nl`) and English (`en`) labels. No login needed.",
)
def vocabulary() -> dict[str, Any]:
    return get_vocabulary().public()
