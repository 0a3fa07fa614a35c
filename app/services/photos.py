"""Profile photos: upload, removal, signed expiring URLs, and the orphan sweep.

A photo is part of the live card: `photo_fields` is called only where a card is built with
its profile fields (`app/services/profiles.py::_card_fields`), so it is shown exactly where
`app/services/visibility.py` lets the card be shown (public or contact), never in a stub.

URLs are signed: `/media/<key>-card.webp?exp=<unix time>&sig=<HMAC-SHA256 over name and
exp, 128 bits>`, valid until `exp`. `exp` is rounded to a step of a quarter of
PHOTO_URL_SECONDS, so every card issued within one step carries the same URL (cacheable by
the app or a CDN) and each URL works for between 3/4 and all of PHOTO_URL_SECONDS. Someone
who can no longer see the card (a block, a pause, an erasure) gets no new URL, and the ones
they have stop working when they expire; an erasure or removal deletes the objects at once.

Objects are named after their content and owner (`sha256(user id, upload bytes)`), written
before the profile refers to them and deleted after the reference is gone, and only when no
profile refers to them any more. `jobtinder purge` removes objects nobody refers to that are
older than ORPHAN_GRACE (an upload in flight has stored its objects, not yet its reference).
"""

import base64
import hashlib
import hmac
import logging
import threading
import time
from datetime import timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import exists, select
from sqlmodel import Session, col

from app import clock
from app.config import get_settings
from app.db import lock_users
from app.errors import PHOTO_REFUSED, Invalid
from app.models import Profile, User
from app.services import images
from app.services.feature_store import bump_version
from app.services.notifications import notify
from app.services.storage import get_storage

log = logging.getLogger("jobtinder")

MEDIA_PATH = "/media"
VARIANTS = ("card", "thumb")
ORPHAN_GRACE = timedelta(hours=1)
PHOTO_REMOVED = "photo_removed"  # notification type: a coordinator removed my photo

_processing: dict[int, threading.BoundedSemaphore] = {}
_processing_lock = threading.Lock()


def object_name(key: str, variant: str) -> str:
    return f"{key}-{variant}.webp"


def names_of(key: str) -> list[str]:
    return [object_name(key, v) for v in VARIANTS]


# --- signed URLs --------------------------------------------------------------------------


@cache
def _signing_key(secret: str) -> bytes:
    # A key of its own, derived from SECRET_KEY: a media signature is never a token signature.
    return hmac.new(secret.encode(), b"jobtinder media urls v1", hashlib.sha256).digest()


def _signature(name: str, exp: int) -> str:
    return _signature_with(get_settings().secret_key.get_secret_value(), name, exp)


def _computed_signature(secret: str, name: str, exp: int) -> str:
    # hmac.digest is the one-shot C implementation.
    digest = hmac.digest(_signing_key(secret), f"{name}:{exp}".encode(), "sha256")[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# Issuing is cached: all URLs of one expiry step are the same, and a feed page signs two per
# card. Checking is not, so that requests with made-up expiries cannot crowd the cache.
_signature_with = lru_cache(maxsize=16384)(_computed_signature)


def url_expiry(now: float) -> int:
    """When URLs issued at `now` expire: within PHOTO_URL_SECONDS, on a shared step."""
    lifetime = get_settings().photo_url_seconds
    step = lifetime // 4
    return (int(now) // step + 1) * step + lifetime - step


def signed_url(name: str, exp: int) -> str:
    base = get_settings().media_base_url.rstrip("/")
    return f"{base}{MEDIA_PATH}/{name}?exp={exp}&sig={_signature(name, exp)}"


def valid_signature(name: str, exp: int, sig: str) -> bool:
    """A genuine, unexpired signature for this object."""
    now = clock.now().timestamp()
    # Expired, or later than any URL an API process issues (with a minute for clock skew
    # between machines).
    if not now < exp <= now + get_settings().photo_url_seconds + 60:
        return False
    secret = get_settings().secret_key.get_secret_value()
    return hmac.compare_digest(_computed_signature(secret, name, exp), sig)


def photo_fields(key: str | None, width: int | None, height: int | None) -> dict[str, Any] | None:
    """A card's `photo` (signed URLs), from the profile's three photo columns."""
    if key is None or width is None or height is None:
        return None
    exp = url_expiry(time.time() + clock.offset_seconds())
    return {
        "url": signed_url(f"{key}-card.webp", exp),
        "thumbnail_url": signed_url(f"{key}-thumb.webp", exp),
        "width": width,
        "height": height,
    }


def photo_of(profile: Profile) -> dict[str, Any] | None:
    return photo_fields(profile.photo_key, profile.photo_width, profile.photo_height)


# --- upload and removal -------------------------------------------------------------------


def _semaphore() -> threading.BoundedSemaphore:
    limit = get_settings().photo_concurrency
    with _processing_lock:
        return _processing.setdefault(limit, threading.BoundedSemaphore(limit))


def process(data: bytes) -> images.Processed:
    """Decode and re-encode (422 if refused); at most PHOTO_CONCURRENCY at once per process,
    which bounds the memory all uploads of a process need together. Runs in a worker thread
    (the route is synchronous), never on the event loop."""
    with _semaphore():
        try:
            return images.process(data, max_pixels=get_settings().photo_max_pixels)
        except images.PhotoRefused as refused:
            raise Invalid(
                refused.detail, loc=["body", "file"], type_="photo_refused", code=PHOTO_REFUSED
            ) from None


def set_photo(*, session: Session, user: User, data: bytes) -> Profile:
    """Store my new photo (replacing any earlier one); creates the profile if there is none."""
    assert user.id is not None and user.side is not None
    user_id, side = user.id, user.side
    # End the transaction the authentication read began: on SQLite it holds the database
    # write lock, which no other writer should wait on while the image is decoded.
    session.commit()
    processed = process(data)
    key = hashlib.sha256(f"{user_id}:".encode() + data).hexdigest()[:32]
    storage = get_storage()
    # Objects first: a committed reference always has its objects.
    storage.put(object_name(key, "card"), processed.card, images.CONTENT_TYPE)
    storage.put(object_name(key, "thumb"), processed.thumb, images.CONTENT_TYPE)
    lock_users(session, [user_id])
    profile = session.get(Profile, user_id)
    if profile is None:
        profile = Profile(user_id=user_id, side=side)
        bump_version(session, side)
    previous = profile.photo_key
    profile.photo_key = key
    profile.photo_width = processed.width
    profile.photo_height = processed.height
    profile.updated_at = clock.now()
    session.add(profile)
    session.commit()
    session.refresh(profile)
    if previous is not None and previous != key:
        discard(session, previous)
    return profile


def remove_photo(*, session: Session, user_id: int) -> bool:
    """Remove a profile's photo (the caller checked who may); whether there was one."""
    lock_users(session, [user_id])
    profile = session.get(Profile, user_id)
    if profile is None or profile.photo_key is None:
        session.rollback()
        return False
    key = profile.photo_key
    profile.photo_key = profile.photo_width = profile.photo_height = None
    profile.updated_at = clock.now()
    session.add(profile)
    session.commit()
    discard(session, key)
    return True


def remove_by_coordinator(*, session: Session, user_id: int) -> bool:
    """A coordinator removes a participant's photo (e.g. after a report); they are told."""
    lock_users(session, [user_id])
    profile = session.get(Profile, user_id)
    if profile is None or profile.photo_key is None:
        session.rollback()
        return False
    key = profile.photo_key
    profile.photo_key = profile.photo_width = profile.photo_height = None
    profile.updated_at = clock.now()
    session.add(profile)
    notify(session=session, user_id=user_id, type_=PHOTO_REMOVED, data={"by": "coordinator"})
    session.commit()
    discard(session, key)
    return True


def referenced(session: Session, key: str) -> bool:
    return bool(session.scalar(select(exists().where(col(Profile.photo_key) == key))))


def discard(session: Session, key: str) -> None:
    """Delete a key's objects once no profile refers to it (after the commit that removed the
    reference). A storage failure leaves an orphan for `jobtinder purge`, not a failed request."""
    if referenced(session, key):
        return
    try:
        get_storage().delete(names_of(key))
    except Exception:  # noqa: BLE001 - any storage error: the sweep removes it later
        log.warning("media storage: could not delete a photo's objects; purge will retry")


def sweep_orphans(session: Session) -> int:
    """Delete objects no profile refers to, older than ORPHAN_GRACE; how many."""
    cutoff = clock.now() - ORPHAN_GRACE
    keys = set(
        session.scalars(select(col(Profile.photo_key)).where(col(Profile.photo_key).is_not(None)))
    )
    candidates = [
        item.name
        for item in get_storage().list()
        if item.name.split("-", 1)[0] not in keys and item.modified < cutoff
    ]
    if not candidates:
        return 0
    # Asked again just before deleting: a reference committed since the first read wins.
    session.rollback()
    keys = set(
        session.scalars(
            select(col(Profile.photo_key)).where(
                col(Profile.photo_key).in_({n.split("-", 1)[0] for n in candidates})
            )
        )
    )
    orphans = [name for name in candidates if name.split("-", 1)[0] not in keys]
    if orphans:
        get_storage().delete(orphans)
    return len(orphans)
