"""Swipes and blocks."""

import orjson
from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from app import clock
from app.db import WriteSession, async_pool, session_scope
from app.errors import (
    DAILY_LIKE_LIMIT,
    EMAIL_NOT_VERIFIED,
    PARTICIPANTS_ONLY,
    PROFILE_INCOMPLETE,
    SWIPE_CONFLICT,
    SWIPE_HAS_MATCH,
)
from app.models import Block
from app.pagination import id_in_range
from app.schemas.common import problem_responses
from app.schemas.matches import BlockIn, BlockOut, SwipeIn, SwipeOut
from app.security import Bearer, Participant
from app.services import swiping
from app.views.matches import swipe_out

router = APIRouter(tags=["feed"])


@router.post(
    "/swipes",
    status_code=status.HTTP_201_CREATED,
    response_model=SwipeOut,
    summary="Swipen: like of pass",
    description="201 for a new swipe; the very same swipe again answers 200 with the same body "
    "(safe for retries); the other decision on the same person is 409. A like on someone who "
    "liked me starts a match in its trial period, unless one of us is at the ongoing-match limit "
    "(then it stays a like).",
    responses=problem_responses(
        401,
        PARTICIPANTS_ONLY,
        EMAIL_NOT_VERIFIED,
        404,
        PROFILE_INCOMPLETE,
        SWIPE_CONFLICT,
        422,
        DAILY_LIKE_LIMIT,
        extra={200: {"model": SwipeOut, "description": "Repeat of an earlier identical swipe"}},
    ),
)
async def create_swipe(
    body: SwipeIn, bearer: Bearer, request: Request, response: Response
) -> SwipeOut | Response:
    # The hot path. The common case (a first swipe that starts no match) is stored on the event
    # loop in one round trip on PostgreSQL; everything else goes through `swiping.swipe`, which
    # also checks the caller (401/403) in its first query.
    pool = async_pool(request)
    if pool is not None and await swiping.try_plain_swipe(
        pool, user_id=bearer.user_id, target_id=body.target_id, decision=body.decision
    ):
        # Its answer written directly: the very bytes FastAPI makes of this SwipeOut
        # (tests/api/test_swipes.py compares them), without validating our own three values
        # against the response model again.
        return Response(
            orjson.dumps({"target_id": body.target_id, "decision": body.decision, "match": None}),
            status_code=status.HTTP_201_CREATED,
            media_type="application/json",
        )
    return await run_in_threadpool(_swipe, bearer.user_id, body, response)


def _swipe(user_id: int, body: SwipeIn, response: Response) -> SwipeOut:
    with session_scope(write=True) as session:
        outcome = swiping.swipe(
            session=session, user_id=user_id, target_id=body.target_id, decision=body.decision
        )
        if not outcome.created:
            response.status_code = status.HTTP_200_OK
        return swipe_out(
            session, outcome, user_id=user_id, target_id=body.target_id, decision=body.decision
        )


@router.delete(
    "/swipes/{target_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Swipe ongedaan maken",
    description="Undo my swipe on this person; 409 if a match came from it.",
    responses=problem_responses(401, 403, 404, SWIPE_HAS_MATCH),
)
def undo_swipe(target_id: int, user: Participant, session: WriteSession) -> Response:
    swiping.undo_swipe(session=session, user=user, target_id=id_in_range(target_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/blocks",
    status_code=status.HTTP_201_CREATED,
    response_model=BlockOut,
    summary="Iemand blokkeren",
    description="We never see each other again; an ongoing match between us ends "
    "(the other gets the same neutral message as for an exit). Blocking again answers 200.",
    responses=problem_responses(
        401, 403, 404, 422, extra={200: {"model": BlockOut, "description": "Already blocked"}}
    ),
)
def create_block(
    body: BlockIn, user: Participant, session: WriteSession, response: Response
) -> BlockOut:
    created = swiping.block(session=session, user=user, blocked_id=body.user_id)
    if not created:
        response.status_code = status.HTTP_200_OK
    stored = session.get(Block, (user.id, body.user_id))
    return BlockOut(
        user_id=body.user_id,
        created_at=clock.as_utc(stored.created_at) if stored else clock.now(),
    )


@router.delete(
    "/blocks/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Blokkade opheffen",
    description="Lift my block on this person. A match that ended stays ended.",
    responses=problem_responses(401, 403, 404),
)
def delete_block(user_id: int, user: Participant, session: WriteSession) -> Response:
    swiping.unblock(session=session, user=user, blocked_id=id_in_range(user_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
