"""The swipe deck."""

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from app.db import async_pool, session_scope
from app.errors import EMAIL_NOT_VERIFIED, PARTICIPANTS_ONLY, PROFILE_INCOMPLETE
from app.i18n import negotiate
from app.pagination import FeedPageDep, PageParams
from app.schemas.common import problem_responses
from app.schemas.feed import FeedPageOut
from app.security import Bearer
from app.services.feed import FeedPage, build_feed, build_feed_async
from app.views.feed import page_document

router = APIRouter(tags=["feed"])


@router.get(
    "/feed",
    response_model=FeedPageOut,
    summary="Mijn swipe-stapel",
    description="Complete, discoverable profiles of the other side, each with a score in "
    "[0, 1], its breakdown (vakinhoud, motivatie, regio, beschikbaarheid) and short Dutch "
    "reasons (English with `Accept-Language: en`). Never shows: myself, anyone I swiped, "
    "blocked or was matched with, anyone at "
    "their ongoing-match limit, anyone beyond my max_travel_km, anyone whose own "
    "max_travel_km excludes me, and anyone who passed on me (until they undo that pass) - "
    "cards that can never become a match. Ordered best first by the score adjusted for how "
    "contested each candidate is (a congestion price `jobtinder tick` computes; without "
    "one, by the score itself); the score, breakdown and reasons shown are the plain "
    "reciprocal ones. 409 while my own profile is incomplete.\n\n"
    "**Paging is a pass through the deck**: each page is the best `limit` cards as the deck "
    "is *now*, among those this pass has not shown yet (`next_cursor` remembers them). A "
    "card never comes twice in a pass and none is skipped, even when my profile, a "
    "candidate's or a congestion price changed between two pages: a card that rose above "
    "those already shown comes on the next page. Swiped cards leave the deck. A pass "
    "remembers up to 500 cards shown and not swiped; after that `next_cursor` is null and a "
    "new pass (no cursor) starts from the best again.",
    responses=problem_responses(
        401, PARTICIPANTS_ONLY, EMAIL_NOT_VERIFIED, PROFILE_INCOMPLETE, 422
    ),
)
async def list_feed(bearer: Bearer, request: Request, page: FeedPageDep) -> Response:
    # The hot path: the caller is checked (401/403) inside the feed's first query. On
    # PostgreSQL it runs on the event loop (the hot paths' async pool); otherwise in the
    # threadpool with a session.
    pool = async_pool(request)
    lang = negotiate(request.headers.get("accept-language"))
    if pool is not None:
        result = await build_feed_async(
            pool, user_id=bearer.user_id, limit=page.limit, cursor=page.cursor, lang=lang
        )
    else:
        result = await run_in_threadpool(_build_feed, bearer.user_id, page, lang)
    return Response(orjson.dumps(page_document(result)), media_type="application/json")


def _build_feed(user_id: int, page: PageParams, lang: str) -> FeedPage:
    with session_scope() as session:
        return build_feed(
            session=session, user_id=user_id, limit=page.limit, cursor=page.cursor, lang=lang
        )
