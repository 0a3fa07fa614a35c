"""Web Push: my browser subscriptions, and the server's VAPID public key."""

from fastapi import APIRouter, Response, status

from app.db import WriteSession
from app.schemas.common import problem_responses
from app.schemas.push import (
    PublicKeyOut,
    PushSubscriptionIn,
    PushSubscriptionOut,
    PushUnsubscribeIn,
)
from app.security import CurrentUser
from app.services import push as service

router = APIRouter(tags=["notifications"])


@router.get(
    "/push/public-key",
    response_model=PublicKeyOut,
    summary="VAPID-sleutel voor Web Push",
    description="Pass it as `applicationServerKey` to `pushManager.subscribe`. 404 when the "
    "server has no VAPID key configured.",
    responses=problem_responses(404),
)
def public_key() -> PublicKeyOut:
    return PublicKeyOut(public_key=service.vapid_public_key())


@router.post(
    "/me/push-subscriptions",
    status_code=status.HTTP_201_CREATED,
    response_model=PushSubscriptionOut,
    summary="Web Push aanzetten voor deze browser",
    description="The browser's `PushSubscription` JSON. 201 when new, 200 when this endpoint "
    "was already stored (it then belongs to the caller). Pushes: new match, coordinator "
    "match, trial ending, and a message while no app has the live stream open; the payload "
    "holds at most a first name.",
    responses=problem_responses(401, 422) | {200: {"description": "Already subscribed"}},
)
def create_push_subscription(
    body: PushSubscriptionIn, user: CurrentUser, session: WriteSession, response: Response
) -> PushSubscriptionOut:
    assert user.id is not None
    created = service.subscribe(
        session,
        user_id=user.id,
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return PushSubscriptionOut(endpoint=body.endpoint)


@router.delete(
    "/me/push-subscriptions",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Web Push uitzetten voor deze browser",
    responses=problem_responses(401, 404, 422),
)
def unsubscribe(body: PushUnsubscribeIn, user: CurrentUser, session: WriteSession) -> Response:
    assert user.id is not None
    service.unsubscribe(session, user_id=user.id, endpoint=body.endpoint)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
