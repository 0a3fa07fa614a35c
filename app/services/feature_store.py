"""Per-process, always-fresh ranking features of every complete, discoverable profile.

Building features for 50 000 profiles takes about a second, so each API process keeps them
ready and brings them up to date at the start of every feed request:

1. one cheap query reads the side's fingerprint: `count(*)` and `max(updated_at)`;
2. unchanged → use the arrays as they are;
3. changed → re-read only profiles updated since the last watermark (minus a safety margin for
   transactions that committed late), and overwrite, add or deactivate their rows;
4. fewer profiles than before (an account was erased) → rebuild from scratch.

So a profile changed through another process is seen on the next request: the cache holds
nothing that the database does not say, only a faster shape of it. The feed also re-checks the
few profiles on the page it returns.
"""

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlmodel import Session, col

from app import clock
from app.matching.features import Participant, Pool, build_pool
from app.models import Profile
from app.vocabulary import get_vocabulary

# Commits can land out of updated_at order across processes; re-read this far back.
WATERMARK_MARGIN = timedelta(seconds=10)


def participant_from(profile: Profile) -> Participant:
    """Ranking features of a complete profile."""
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


def rankable(profile: Profile) -> bool:
    return bool(profile.complete and profile.discoverable and profile.place)


@dataclass
class SideFeatures:
    """The features of one side (teachers or professionals) as packed arrays."""

    pool: Pool
    active: npt.NDArray[np.bool_]
    row_of: dict[int, int]
    participants: dict[int, Participant]
    count: int = 0
    latest: datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class FeatureStore:
    def __init__(self) -> None:
        self._sides: dict[str, SideFeatures] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._sides.clear()

    def side(self, session: Session, side: str) -> SideFeatures:
        """The side's features, brought up to date with the database."""
        count, latest = session.execute(
            select(func.count(), func.max(Profile.updated_at)).where(col(Profile.side) == side)
        ).one()
        latest = clock.as_utc(latest) if latest is not None else None
        with self._lock:
            current = self._sides.get(side)
            if current is None or count < current.count:
                current = self._load_all(session, side)
                current.count, current.latest = count, latest
                self._sides[side] = current
                return current
        with current.lock:
            if count != current.count or latest != current.latest:
                self._refresh(session, side, current)
                current.count, current.latest = count, latest
        return current

    @staticmethod
    def _load_all(session: Session, side: str) -> SideFeatures:
        rows = session.scalars(
            select(Profile).where(
                col(Profile.side) == side, col(Profile.complete), col(Profile.discoverable)
            )
        )
        participants = {p.user_id: participant_from(p) for p in rows if rankable(p)}
        ordered = list(participants.values())
        return SideFeatures(
            pool=build_pool(ordered),
            active=np.ones(len(ordered), dtype=bool),
            row_of={p.user_id: i for i, p in enumerate(ordered)},
            participants=participants,
        )

    @staticmethod
    def _refresh(session: Session, side: str, features: SideFeatures) -> None:
        query = select(Profile).where(col(Profile.side) == side)
        if features.latest is not None:
            query = query.where(col(Profile.updated_at) >= features.latest - WATERMARK_MARGIN)
        added: list[Participant] = []
        for profile in session.scalars(query):
            row = features.row_of.get(profile.user_id)
            if not rankable(profile):
                features.participants.pop(profile.user_id, None)
                if row is not None:
                    features.active[row] = False
                continue
            participant = participant_from(profile)
            features.participants[profile.user_id] = participant
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
            for offset, participant in enumerate(added):
                features.row_of[participant.user_id] = start + offset


def _overwrite_row(pool: Pool, row: int, single: Pool) -> None:
    for name in Pool.__slots__:
        getattr(pool, name)[row] = getattr(single, name)[0]


store = FeatureStore()
