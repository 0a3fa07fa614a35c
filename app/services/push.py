"""Web Push for closed apps: browser subscriptions, and pushes through an outbox delivered by
the same worker and claim/retry machinery as mail (app/services/claiming.py).

What is pushed: a new match, a coordinator match, the trial ending, and a message when the
recipient has no open event stream anywhere (`events.has_open_stream`). A payload carries the
type, the match id and at most a first name — never a message text, a note or a contact.
Each push is queued, in the transaction of its cause, once per subscription of the recipient
(one INSERT ... SELECT), and only when VAPID keys are configured.

Delivery (`deliver_push_due`): claim, encrypt for the subscription (RFC 8291, aes128gcm,
via pywebpush/http_ece), sign a VAPID JWT (RFC 8292, py_vapid), POST without following
redirects to an allowed push service host. 201/202 → sent; 404/410 → the subscription is
gone and deleted (with its queued pushes); 429/5xx/no connection → retried with backoff;
any other answer → failed. After PUSH_MAX_ATTEMPTS tries → failed.
"""

import base64
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPusher
from sqlalchemy import delete, literal, select
from sqlmodel import Session, col

from app import clock
from app.config import Settings, get_settings
from app.db import new_session
from app.errors import PUSH_NOT_CONFIGURED, NotFound
from app.models import OutboxPush, PushStatus, PushSubscription, User
from app.services import claiming
from app.services.outbox import DeliveryReport

log = logging.getLogger("jobtinder.push")

LEASE = timedelta(minutes=5)
BATCH = 50
PUSHED_NOTIFICATIONS = ("match_created", "coordinator_match", "trial_ending")

TEXTS = {
    "nl": {
        "match_created": ("Nieuwe match", "Je hebt een match met {first_name}."),
        "coordinator_match": ("Nieuwe match", "Je coördinator koppelde je aan {first_name}."),
        "trial_ending": ("Proeftijd loopt af", "Je proeftijd eindigt binnenkort."),
        "message": ("Nieuw bericht", "{first_name} stuurde je een bericht."),
    },
    "en": {
        "match_created": ("New match", "You have a match with {first_name}."),
        "coordinator_match": ("New match", "Your coordinator paired you with {first_name}."),
        "trial_ending": ("Trial ending", "Your trial period ends soon."),
        "message": ("New message", "{first_name} sent you a message."),
    },
}


def first_name(name: str | None) -> str:
    parts = (name or "").split()
    return parts[0] if parts else ""


# --- Keys -----------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_vapid_keys() -> tuple[str, str]:
    """(private, public): the raw P-256 private key and the uncompressed public point, both
    base64url — VAPID_PRIVATE_KEY and the browser's applicationServerKey."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return b64url(private), _public_of(key)


def _public_of(key: ec.EllipticCurvePrivateKey) -> str:
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


@cache
def _vapid(private_key: str) -> Vapid02:
    return Vapid02.from_raw(private_key.encode())


def vapid_public_key(settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    if settings.vapid_private_key is None:
        raise NotFound(PUSH_NOT_CONFIGURED)
    vapid = _vapid(settings.vapid_private_key.get_secret_value())
    return _public_of(vapid.private_key)


def push_enabled() -> bool:
    return get_settings().vapid_private_key is not None


# --- Subscriptions ----------------------------------------------------------------------------


def endpoint_allowed(endpoint: str, settings: Settings | None = None) -> bool:
    """https (http only with PUSH_ALLOW_HTTP) to a host under PUSH_ALLOWED_HOSTS: the worker
    POSTs to this URL, so it must not be able to name an internal service."""
    settings = settings or get_settings()
    parts = urlsplit(endpoint)
    if parts.scheme != "https" and not (parts.scheme == "http" and settings.push_allow_http):
        return False
    host = (parts.hostname or "").lower().rstrip(".")
    return any(host == h or host.endswith("." + h) for h in settings.push_allowed_hosts)


def valid_p256dh(value: str) -> bool:
    try:
        raw = b64url_decode(value)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except (ValueError, TypeError):
        return False
    return len(raw) == 65


def subscribe(session: Session, *, user_id: int, endpoint: str, p256dh: str, auth: str) -> bool:
    """Store this browser's subscription for me (commits); True if it is new. An endpoint
    belongs to one browser: subscribing it again (e.g. after another login) moves it."""
    existing = session.scalar(
        select(PushSubscription).where(col(PushSubscription.endpoint) == endpoint)
    )
    if existing is None:
        session.add(PushSubscription(user_id=user_id, endpoint=endpoint, p256dh=p256dh, auth=auth))
    else:
        if existing.user_id != user_id:  # queued pushes for the previous user go
            session.execute(
                delete(OutboxPush).where(col(OutboxPush.subscription_id) == existing.id)
            )
        existing.user_id, existing.p256dh, existing.auth = user_id, p256dh, auth
        session.add(existing)
    session.flush()
    return existing is None


def unsubscribe(session: Session, *, user_id: int, endpoint: str) -> None:
    """Remove one of my subscriptions (commits); NotFound if it is not mine."""
    removed = session.execute(
        delete(PushSubscription).where(
            col(PushSubscription.endpoint) == endpoint, col(PushSubscription.user_id) == user_id
        )
    )
    if not getattr(removed, "rowcount", 0):
        raise NotFound()


def my_endpoints(session: Session, *, user_id: int) -> list[dict[str, Any]]:
    """For the export: endpoints only, never the keys."""
    return [
        {"endpoint": s.endpoint, "created_at": clock.as_utc(s.created_at).isoformat()}
        for s in session.scalars(
            select(PushSubscription)
            .where(col(PushSubscription.user_id) == user_id)
            .order_by(col(PushSubscription.id))
        )
    ]


# --- Queueing (in the caller's transaction) ---------------------------------------------------


def queue_push(session: Session, *, user_id: int, kind: str, payload: dict[str, Any]) -> None:
    """One push per subscription of this user, in one statement (caller commits)."""
    if not push_enabled():
        return
    orjson.dumps(payload)
    now = clock.now()
    rows = select(
        literal(now).label("created_at"),
        col(PushSubscription.user_id),
        col(PushSubscription.id),
        literal(kind).label("kind"),
        literal(payload, OutboxPush.__table__.c.payload.type).label("payload"),  # type: ignore[attr-defined]
        literal("pending").label("status"),
        literal(0).label("attempts"),
        literal(0).label("rejections"),
        literal(now).label("next_attempt_at"),
    ).where(col(PushSubscription.user_id) == user_id)
    columns = [
        "created_at",
        "user_id",
        "subscription_id",
        "kind",
        "payload",
        "status",
        "attempts",
        "rejections",
        "next_attempt_at",
    ]
    session.execute(OutboxPush.__table__.insert().from_select(columns, rows))  # type: ignore[attr-defined]


def push_notification(session: Session, *, user_id: int, type_: str, data: dict[str, Any]) -> None:
    """The push a stored notification calls for, if any (caller commits)."""
    if type_ not in PUSHED_NOTIFICATIONS:
        return
    payload: dict[str, Any] = {"type": type_, "match_id": data.get("match_id")}
    if "partner_name" in data:
        payload["first_name"] = first_name(str(data["partner_name"]))
    queue_push(session, user_id=user_id, kind=type_, payload=payload)


def push_message(session: Session, *, user_id: int, data: dict[str, Any]) -> None:
    """A message event: pushed only when the recipient has no open stream (caller commits)."""
    from app.services.events import has_open_stream

    if not push_enabled() or has_open_stream(session, user_id=user_id):
        return
    sender = session.get(User, data.get("sender_id")) if data.get("sender_id") else None
    payload = {
        "type": "message",
        "match_id": data.get("match_id"),
        "first_name": first_name(sender.name if sender else None),
    }
    queue_push(session, user_id=user_id, kind="message", payload=payload)


def forget_user(session: Session, *, match_ids: set[int], partner_ids: set[int], name: str) -> None:
    """Account erasure (caller commits): partners' pushes not delivered yet that name me (a
    new match, a message of mine: each about one of my matches) name `name` instead, as the
    notifications, mails and live events they come from do."""
    if not match_ids or not partner_ids:
        return
    queued = session.scalars(
        select(OutboxPush).where(
            col(OutboxPush.user_id).in_(sorted(partner_ids)),
            col(OutboxPush.status).in_(("pending", "sending")),
        )
    )
    for outgoing in queued:
        payload = outgoing.payload
        if payload.get("match_id") in match_ids and "first_name" in payload:
            outgoing.payload = payload | {"first_name": name}  # a new dict: marks it dirty
            session.add(outgoing)


# --- Delivery ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outgoing:
    push_id: int
    endpoint: str
    p256dh: str
    auth: str
    body: bytes


def render(payload: dict[str, Any], language: str) -> bytes:
    kind = str(payload.get("type"))
    texts = TEXTS.get(language, TEXTS["nl"])
    title, body = texts.get(kind, ("Job Tinder", ""))
    match_id = payload.get("match_id")
    message = {
        "type": kind,
        "title": title,
        "body": body.format(first_name=payload.get("first_name") or "Job Tinder"),
        "match_id": match_id,
        "url": f"/app/matches/{match_id}" if match_id else "/app",
    }
    return orjson.dumps(message)


def deliver_push_due(*, limit: int = BATCH, settings: Settings | None = None) -> DeliveryReport:
    """One batch of pushes: claim, encrypt, sign, send, record. Safe in any number of
    processes."""
    settings = settings or get_settings()
    report = DeliveryReport()
    if settings.vapid_private_key is None or not claiming.has_due(OutboxPush):
        return report
    ids = claiming.claim(OutboxPush, limit=limit, lease=LEASE)
    if not ids:
        return report
    vapid = _vapid(settings.vapid_private_key.get_secret_value())
    with httpx.Client(timeout=10, follow_redirects=False) as http:
        for push_id in ids:
            outgoing = _prepare(push_id, settings, report)
            if outgoing is None:
                continue
            try:
                status = _send(http, vapid, outgoing, settings)
            except httpx.HTTPError as exc:
                _retry(push_id, f"transport: {type(exc).__name__}", settings, report)
                continue
            if status in (200, 201, 202):
                _finish(push_id, PushStatus.sent)
                report.sent += 1
            elif status in (404, 410):
                _drop_subscription(push_id)
                report.skipped += 1
            elif status == 429 or status >= 500:
                _retry(push_id, f"push service answered {status}", settings, report)
            else:
                _finish(push_id, PushStatus.failed, f"push service answered {status}")
                report.failed += 1
                log.error("push %s refused with %s", push_id, status)
    return report


def deliver_all_push(
    *, settings: Settings | None = None, max_batches: int = 1000
) -> DeliveryReport:
    total = DeliveryReport()
    for _ in range(max_batches):
        report = deliver_push_due(settings=settings)
        total.add(report)
        if report.handled == 0:
            break
    return total


def _prepare(push_id: int, settings: Settings, report: DeliveryReport) -> Outgoing | None:
    with new_session() as session:
        row = session.execute(
            select(OutboxPush, PushSubscription, col(User.language), col(User.deleted_at))
            .join(PushSubscription, col(PushSubscription.id) == col(OutboxPush.subscription_id))
            .join(User, col(User.id) == col(OutboxPush.user_id))
            .where(col(OutboxPush.id) == push_id)
        ).first()
    if row is None:  # the subscription went meanwhile (cascade)
        return None
    push, subscription, language, deleted_at = row
    if push.status != "sending":
        return None
    if deleted_at is not None or not endpoint_allowed(subscription.endpoint, settings):
        _finish(push_id, PushStatus.failed, "recipient erased or endpoint not allowed")
        report.skipped += 1
        return None
    return Outgoing(
        push_id=push_id,
        endpoint=subscription.endpoint,
        p256dh=subscription.p256dh,
        auth=subscription.auth,
        body=render(push.payload, language or "nl"),
    )


def _send(http: httpx.Client, vapid: Vapid02, outgoing: Outgoing, settings: Settings) -> int:
    pusher = WebPusher(
        {"endpoint": outgoing.endpoint, "keys": {"p256dh": outgoing.p256dh, "auth": outgoing.auth}}
    )
    encoded = pusher.encode(outgoing.body, "aes128gcm")
    parts = urlsplit(outgoing.endpoint)
    claims = {
        "aud": f"{parts.scheme}://{parts.netloc}",
        # The push service checks this against its own (real) clock, not our movable one.
        "exp": int(time.time()) + 12 * 3600,
        "sub": settings.vapid_subject,
    }
    headers = {str(k): str(v) for k, v in vapid.sign(claims).items()}
    headers |= {
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(settings.push_ttl_seconds),
        "Urgency": "normal",
    }
    response = http.post(outgoing.endpoint, content=encoded["body"], headers=headers)
    return response.status_code


def _finish(push_id: int, status: PushStatus, error: str | None = None) -> None:
    now = clock.now()
    with new_session(write=True) as session:
        push = session.get(OutboxPush, push_id)
        if push is None:
            return
        push.status = status
        push.claimed_until = None
        push.attempts += 1
        push.sent_at = now if status == PushStatus.sent else None
        push.last_error = error
        session.add(push)
        session.commit()


def _retry(push_id: int, error: str, settings: Settings, report: DeliveryReport) -> None:
    now = clock.now()
    with new_session(write=True) as session:
        push = session.get(OutboxPush, push_id)
        if push is None:
            return
        push.attempts += 1
        push.last_error = error[:500]
        push.claimed_until = None
        if push.attempts >= settings.push_max_attempts:
            push.status = PushStatus.failed
            report.failed += 1
        else:
            push.status = PushStatus.pending
            push.next_attempt_at = now + claiming.backoff(push.attempts, settings)
            report.retried += 1
        session.add(push)
        session.commit()


def _drop_subscription(push_id: int) -> None:
    """The push service says this subscription no longer exists: forget it."""
    with new_session(write=True) as session:
        subscription_id = session.scalar(
            select(col(OutboxPush.subscription_id)).where(col(OutboxPush.id) == push_id)
        )
        if subscription_id is not None:
            session.execute(
                delete(PushSubscription).where(col(PushSubscription.id) == subscription_id)
            )
        session.commit()
