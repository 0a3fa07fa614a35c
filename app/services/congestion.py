"""Congestion prices of the free market, computed by `jobtinder tick` and stored.

The free market is every complete, discoverable participant below their ongoing-match limit.
Pairs that can never become a match are left out of it: beyond either travel limit, blocked
either way, matched before, or passed on by either side. The equilibrium
(`app.matching.congestion`) is solved over the whole market at once as a sparse matrix, so
regions and reach components that do not touch are solved independently of each other;
it starts from the stored prices (warm start). The prices are written in one transaction
that also bumps both sides' `feature_versions.prices`, so every API process loads the same
prices on its next feed request, and the feed only reads them.
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import CompoundSelect, delete, func, insert, select, text, union_all
from sqlmodel import Session, col

from app import clock
from app.config import get_settings
from app.db import begin_write
from app.matching import congestion
from app.matching.features import Pool
from app.matching.pairing import reachable_scores
from app.models import Block, CongestionPrice, Match, Swipe
from app.services.feature_store import FeatureStore, bump_prices
from app.services.matches import ongoing_clause

PRICES_LOCK = 0x6A74_1901  # the transaction-level advisory lock that serialises price writes


@dataclass(frozen=True, slots=True)
class PriceReport:
    teachers: int
    professionals: int
    pairs: int  # possible pairs in the free market
    sweeps: int
    residual: float


def _busy(session: Session, now: datetime) -> set[int]:
    """Participants at their ongoing-match limit."""
    limit = get_settings().max_ongoing_matches
    people = union_all(
        select(col(Match.teacher_id).label("user_id")).where(ongoing_clause(now)),
        select(col(Match.professional_id).label("user_id")).where(ongoing_clause(now)),
    ).subquery()
    query = select(people.c.user_id).group_by(people.c.user_id).having(func.count() >= limit)
    return set(session.scalars(query))


def _forbidden(session: Session, teacher_ids: set[int]) -> set[tuple[int, int]]:
    """(teacher, professional) pairs that can never match: matched before, a block or a pass
    in either direction."""
    pairs: set[tuple[int, int]] = set()
    for teacher_id, professional_id in session.execute(
        select(col(Match.teacher_id), col(Match.professional_id))
    ):
        pairs.add((teacher_id, professional_id))
    one_way: CompoundSelect[tuple[int, int]] = union_all(
        select(col(Block.blocker_id).label("a"), col(Block.blocked_id).label("b")),
        select(col(Swipe.swiper_id).label("a"), col(Swipe.target_id).label("b")).where(
            col(Swipe.decision) == "pass"
        ),
    )
    for a, b in session.execute(one_way):
        pairs.add((a, b) if a in teacher_ids else (b, a))
    return pairs


def _free(pool: Pool, busy: set[int]) -> Pool:
    return pool.take(np.array([int(uid) not in busy for uid in pool.ids], dtype=bool))


def compute_prices(*, session: Session) -> PriceReport:
    """Solve the free market's equilibrium and store its prices (replacing the old ones)."""
    now = clock.now()
    busy = _busy(session, now)
    teachers = _free(FeatureStore._load_all(session, "teacher").pool, busy)
    professionals = _free(FeatureStore._load_all(session, "professional").pool, busy)
    forbidden = _forbidden(session, {int(uid) for uid in teachers.ids})
    stored = dict(
        session.execute(select(col(CongestionPrice.user_id), col(CongestionPrice.price))).all()
    )
    scores = reachable_scores(teachers, professionals, forbidden)
    result = congestion.equilibrium(
        scores,
        warm=(
            np.array([stored.get(int(uid), 0.0) for uid in teachers.ids], dtype=np.float64),
            np.array([stored.get(int(uid), 0.0) for uid in professionals.ids], dtype=np.float64),
        ),
    )
    rows = [
        {"user_id": int(uid), "side": side, "price": float(price), "computed_at": now}
        for side, ids, prices in (
            ("teacher", teachers.ids, result.teacher_price),
            ("professional", professionals.ids, result.professional_price),
        )
        for uid, price in zip(ids, prices, strict=True)
    ]
    begin_write(session)
    if session.get_bind().dialect.name == "postgresql":
        # Two ticks at once: the second waits here, then replaces what the first stored
        # (SQLite's write lock, taken by begin_write, does the same there).
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PRICES_LOCK})
    session.execute(delete(CongestionPrice))
    if rows:
        session.execute(insert(CongestionPrice), rows)
    for side in ("teacher", "professional"):
        bump_prices(session, side)
    session.commit()
    return PriceReport(
        teachers=len(teachers),
        professionals=len(professionals),
        pairs=int(scores.nnz),
        sweeps=result.sweeps,
        residual=result.residual,
    )
