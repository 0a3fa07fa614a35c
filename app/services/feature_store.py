"""Per-process, always-fresh ranking features of every complete, discoverable profile.

Building features for 50 000 profiles takes about a second, so each API process keeps them
ready and brings them up to date at the start of every feed request:

1. one primary-key read of the side's `feature_versions` row, which every profile change bumps
   in its own transaction (app/models/freshness.py: session events, so no writer can forget
   it, nor the profile's `updated_at`);
2. unchanged → use the arrays as they are;
3. changed → re-read only profiles updated since the last watermark (minus a safety margin for
   transactions that committed late), and overwrite, add or deactivate their rows;
4. a profile was deleted (an account erased) → rebuild from scratch;
5. `jobtinder tick` stored new congestion prices (the row's `prices` counter moved) → re-read
   the side's prices (one indexed read of `congestion_prices`) into `SideFeatures.price`.
   Prices are never computed here or on the feed's path, only read; a profile without a
   stored price (new since the last tick) has price 0.

So a profile changed through another process is seen on the next request: the cache holds
nothing that the database does not say, only a faster shape of it.

Only verified participants are ranked: verifying an address touches the profile's
`updated_at` and bumps the version like any profile change (the same session events).

The store also keeps the cards of the profiles the feed has shown (`SideFeatures.cards`): a
card is read from the database once, then served from memory until a refresh re-reads its
profile (which drops it), a deletion rebuilds the side, or CARD_SECONDS pass. A card that
may be older than the features it would be served with (read while or before a refresh, or
in a snapshot older than the features) is not kept (`SideFeatures.remember`).
"""

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from app import clock
from app.db import conflict_insert, session_scope
from app.matching.congestion import ordering_price
from app.matching.features import Participant, Pool, build_pool
from app.models import CongestionPrice, FeatureVersion, Profile, User
from app.services import feature_snapshot
from app.vocabulary import get_vocabulary

log = logging.getLogger("jobtinder")

# Commits can land out of updated_at order across processes; re-read this far back.
WATERMARK_MARGIN = timedelta(seconds=10)


FEATURE_COLUMNS = (
    "user_id",
    "side",
    "subjects",
    "place",
    "max_travel_km",
    "hours_per_month",
    "available_months",
    "duration_months",
    "goals",
    "outcomes",
    "match_mode",
    "weights",
    "education",
)


def participant_from(profile: Profile | Any) -> Participant:
    """Ranking features of a complete profile (a Profile or a row with FEATURE_COLUMNS)."""
    place = get_vocabulary().places[profile.place or ""]
    weights = None
    if profile.weights:
        w = profile.weights
        weights = (w["subject"], w["motivation"], w["region"], w["availability"])
    return Participant(
        user_id=profile.user_id,
        side=profile.side,
        subjects=tuple(profile.subjects),
        lat=place.lat,
        lon=place.lon,
        region=place.region,
        max_travel_km=float(profile.max_travel_km),
        hours_per_month=float(profile.hours_per_month or 0),
        months=tuple(profile.available_months),
        duration_months=profile.duration_months,
        goals=tuple(profile.goals),
        outcomes=tuple(profile.outcomes),
        match_mode=profile.match_mode,
        weights=weights,
        education=profile.education,
    )


def rankable(profile: Profile | Any) -> bool:
    return bool(profile.complete and profile.discoverable and profile.place)


Version = tuple[int, int, int]  # a side's feature_versions row: (version, deletions, prices)

# Cards kept per side and process: the feed's pages come from the top of the ranking, so a few
# thousand cards serve nearly every page. About 3 KB each with the candidate's features (a
# long bio more); the oldest go first beyond this.
MAX_CARDS = 10_000
# A card is read again after this long, even if no refresh dropped it: a profile change that a
# refresh missed (one committed longer than WATERMARK_MARGIN after it was stamped) is shown,
# or hidden, within this time.
CARD_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class Card:
    """A candidate as the feed shows and explains them.

    `json`: the public card as JSON, without `photo` (its URLs are signed with an expiry, so
    they are made per page from `photo`, the profile's three photo columns), without `contact`
    (never on a feed card) and without its closing brace: the page appends those. Bytes, not a
    dict: a third of the memory, and nothing to serialise again per page.
    """

    json: bytes
    photo: tuple[str | None, int | None, int | None]
    participant: Participant
    read_at: float  # time.monotonic() when read from the database


@dataclass
class SideFeatures:
    """The features of one side (teachers or professionals) as packed arrays."""

    pool: Pool
    active: npt.NDArray[np.bool_]
    row_of: dict[int, int]
    # What the deck subtracts from each row's score to order it (`ordering_price`), 0 without
    # a stored congestion price.
    price: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    priced: bool = False  # some row has a price (else the deck orders by the score alone)
    version: Version = (0, 0, 0)  # (changes, deletions, prices) as last seen
    latest: datetime | None = None  # newest updated_at among the rows read
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The cards of profiles shown lately, by user id (see the module's docstring).
    cards: dict[int, Card] = field(default_factory=dict)

    def remember(self, version: int, cards: dict[int, Card]) -> None:
        """Keep cards read from the database by a request that read the side's `version`
        (its first number), if the features are still at that version.

        A refresh moves the version on (under the lock, after dropping the cards it re-read),
        so this refuses cards when a refresh is under way (its lock is not waited for: the
        caller may be the event loop) or has happened since the request's read: the cards
        may predate a change it has seen (on SQLite a request reads its cards in the snapshot
        of its first statement, on PostgreSQL they may have been read before the refresh).
        """
        if not cards or not self.lock.acquire(blocking=False):
            return
        try:
            if self.version[0] != version:
                return
            kept = self.cards
            for _ in range(len(kept) + len(cards) - MAX_CARDS):
                del kept[next(iter(kept))]  # the oldest first
            kept.update(cards)
        finally:
            self.lock.release()


class FeatureStore:
    def __init__(self) -> None:
        self._sides: dict[str, SideFeatures] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._sides.clear()

    def current(self, side: str, version: Version) -> SideFeatures | None:
        """The side's features if they are at this version already (no I/O); else None."""
        features = self._sides.get(side)
        return features if features is not None and _covers(features.version, version) else None

    def side(self, session: Session, side: str, *, version: Version | None = None) -> SideFeatures:
        """The side's features, brought up to date with the database.

        `version`: the side's (version, deletions, prices) when the caller has just read them
        in a query of its own (saves the feed a round trip); read here otherwise.
        """
        if version is None:
            stamp = session.get(FeatureVersion, side)
            version = (stamp.version, stamp.deletions, stamp.prices) if stamp else (0, 0, 0)
        with self._lock:
            current = self._sides.get(side)
            if current is None or current.version[1] < version[1]:
                # First use, or a profile was deleted (an erased account): start afresh.
                current = self._load_side(session, side)
                _load_prices(session, side, current)
                current.version = version
                self._sides[side] = current
                return current
        with current.lock:
            if current.version[0] < version[0]:
                self._refresh(session, side, current)
            if current.version[2] < version[2]:
                _load_prices(session, side, current)
            current.version = (
                max(current.version[0], version[0]),
                max(current.version[1], version[1]),
                max(current.version[2], version[2]),
            )
        return current

    @staticmethod
    def _load_side(session: Session, side: str) -> SideFeatures:
        """Every rankable profile of the side; on PostgreSQL through the snapshot, which
        re-reads only the profiles changed since it was written (feature_snapshot.py)."""
        if not feature_snapshot.enabled(session):
            return FeatureStore._load_all(session, side)
        loaded = feature_snapshot.load_side(session, side, FEATURE_COLUMNS)
        return SideFeatures(
            pool=loaded.pool,
            active=np.ones(len(loaded.pool), dtype=bool),
            row_of={user_id: row for row, user_id in enumerate(loaded.pool.ids.tolist())},
            latest=(
                datetime.fromtimestamp(float(loaded.updated.max()), UTC)
                if len(loaded.updated)
                else None
            ),
        )

    @staticmethod
    def _load_all(session: Session, side: str) -> SideFeatures:
        # Plain columns, not ORM objects: a cold start over 50 000 profiles stays quick.
        columns = [getattr(Profile, name) for name in FEATURE_COLUMNS]
        rows = session.execute(
            select(*columns, col(Profile.updated_at))
            .join(User, col(User.id) == col(Profile.user_id))
            .where(
                col(Profile.side) == side,
                col(Profile.complete),
                col(Profile.discoverable),
                col(Profile.place).is_not(None),
                col(User.email_verified_at).is_not(None),
            )
        ).all()
        # Only the packed arrays are kept; a page's Participant objects are rebuilt from its
        # few profiles (50 000 Python objects would cost more memory than the arrays).
        latest = max((clock.as_utc(row.updated_at) for row in rows), default=None)
        ordered = list({row.user_id: participant_from(row) for row in rows}.values())
        del rows
        return SideFeatures(
            pool=build_pool(ordered),
            active=np.ones(len(ordered), dtype=bool),
            row_of={p.user_id: i for i, p in enumerate(ordered)},
            latest=latest,
        )

    @staticmethod
    def _refresh(session: Session, side: str, features: SideFeatures) -> None:
        query = (
            select(Profile, col(User.email_verified_at))
            .join(User, col(User.id) == col(Profile.user_id))
            .where(col(Profile.side) == side)
        )
        if features.latest is not None:
            query = query.where(col(Profile.updated_at) >= features.latest - WATERMARK_MARGIN)
        added: list[Participant] = []
        for profile, verified_at in session.execute(query):
            updated = clock.as_utc(profile.updated_at)
            if features.latest is None or updated > features.latest:
                features.latest = updated
            features.cards.pop(profile.user_id, None)
            row = features.row_of.get(profile.user_id)
            if not rankable(profile) or verified_at is None:
                if row is not None:
                    features.active[row] = False
                continue
            participant = participant_from(profile)
            if row is None:
                added.append(participant)
            else:
                _overwrite_row(features.pool, row, build_pool([participant]))
                features.active[row] = True
        if added:
            start = len(features.pool)
            extra = build_pool(added)
            features.pool = Pool(
                **{
                    name: np.concatenate((getattr(features.pool, name), getattr(extra, name)))
                    for name in Pool.__slots__
                }
            )
            features.active = np.concatenate((features.active, np.ones(len(added), dtype=bool)))
            features.price = np.concatenate((features.price, np.zeros(len(added))))
            for offset, participant in enumerate(added):
                features.row_of[participant.user_id] = start + offset


def _covers(have: Version, wanted: Version) -> bool:
    """Features stamped `have` are as fresh as a caller who read `wanted` needs.

    Every change, deletions included, bumps the first number, and every stored set of prices
    the third; both only grow: features that another request already brought further along
    are current for this one too.
    """
    return have[0] >= wanted[0] and have[2] >= wanted[2]


def _load_prices(session: Session, side: str, features: SideFeatures) -> None:
    """The side's stored congestion prices, aligned with the pool's rows (0 where none)."""
    price = np.zeros(len(features.pool))
    row_of = features.row_of
    for user_id, value in session.execute(
        select(col(CongestionPrice.user_id), col(CongestionPrice.price)).where(
            col(CongestionPrice.side) == side
        )
    ):
        row = row_of.get(user_id)
        if row is not None:
            price[row] = value
    features.price = ordering_price(price)
    features.priced = bool(features.price.any())


def bump_prices(session: Session, side: str) -> None:
    """Record, in the caller's transaction, that the side's congestion prices were stored."""
    statement = conflict_insert(session, FeatureVersion).values(
        side=side, version=0, deletions=0, prices=1
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["side"], set_={"prices": col(FeatureVersion.prices) + 1}
        )
    )


def _overwrite_row(pool: Pool, row: int, single: Pool) -> None:
    for name in Pool.__slots__:
        getattr(pool, name)[row] = getattr(single, name)[0]


store = FeatureStore()


def warm_up() -> None:
    """Load both sides now, so that a process's first feed requests do not wait for it.

    Called when a process starts serving. A database that is not reachable yet is not an
    error here: the first feed request then loads the features instead.
    """
    try:
        with session_scope() as session:
            for side in ("teacher", "professional"):
                store.side(session, side)
    except SQLAlchemyError as exc:
        log.warning("feature store not warmed up: %s", type(exc).__name__)
