"""The swipe deck."""

from fastapi import APIRouter

from app.db import SessionDep
from app.pagination import PageDep
from app.schemas.common import problem_responses
from app.schemas.feed import Breakdown, FeedItemOut, FeedPageOut
from app.security import Bearer
from app.services import profiles as profile_service
from app.services.feed import build_feed

router = APIRouter(tags=["feed"])


@router.get(
    "/feed",
    response_model=FeedPageOut,
    summary="Mijn swipe-stapel",
    description="Complete, discoverable profiles of the other side, best match first, each "
    "with a score in [0, 1], its breakdown (vakinhoud, motivatie, regio, beschikbaarheid) and "
    "short Dutch reasons. Never shows: myself, anyone I swiped, blocked or was matched with, "
    "anyone at their ongoing-match limit, anyone beyond my max_travel_km. 409 while my own "
    "profile is incomplete.",
    responses=problem_responses(401, 403, 409, 422),
)
def read_feed(bearer: Bearer, session: SessionDep, page: PageDep) -> FeedPageOut:
    # The hot path: the caller is checked (401/403) inside the feed's first query.
    result = build_feed(
        session=session, user_id=bearer.user_id, limit=page.limit, cursor=page.cursor
    )
    items = [
        FeedItemOut(
            profile=profile_service.card_from_row(item.profile),
            score=item.score,
            breakdown=Breakdown(**item.breakdown),
            reasons=item.reasons,
        )
        for item in result.items
    ]
    return FeedPageOut(items=items, next_cursor=result.next_cursor)
