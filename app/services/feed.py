"""The swipe deck: who I may see, ranked by the matching service, one page at a time."""

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, cast

import orjson
from fastapi.concurrency import run_in_threadpool
from psycopg import AsyncConnection
from psycopg.rows import namedtuple_row
from psycopg_pool import AsyncConnectionPool, PoolClosed
from sqlalchemy import (
    CompoundSelect,
    DateTime,
    Integer,
    ScalarSelect,
    Select,
    any_,
    bindparam,
    case,
    func,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlmodel import Session, col

from app import clock
from app.config import get_settings
from app.db import session_scope
from app.errors import PROFILE_INCOMPLETE, Conflict
from app.matching import explain
from app.matching.features import Participant, Pool, build_pool
from app.matching.scoring import Ranked, rank_page
from app.models import Block, FeatureVersion, Match, Profile, Swipe, User
from app.pagination import MAX_SHOWN, decode_shown, encode_shown
from app.security import check_participant
from app.services import batching
from app.services.feature_store import (
    CARD_SECONDS,
    FEATURE_COLUMNS,
    Card,
    SideFeatures,
    Version,
    participant_from,
    rankable,
    store,
)
from app.services.matches import involving, ongoing_clause
from app.services.profiles import CARD_COLUMNS, card_fields_from_row

SCORE_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class FeedItem:
    card: Card
    score: float
    breakdown: dict[str, float]
    reasons: list[str]
    distance_km: int


@dataclass(frozen=True, slots=True)
class FeedPage:
    items: list[FeedItem]
    next_cursor: str | None


# The feed's statements are built once (building an expression costs more Python time than
# SQLAlchemy's cached compilation of it): the caller, who is excluded, and the page's cards
# that this process does not hold yet (most pages need none: see `_cards`).
_ME = bindparam("me", type_=Integer)
_NOW = bindparam("now", type_=DateTime(timezone=True))
_LIMIT = bindparam("limit", type_=Integer)
_OTHER_SIDE = case((col(User.side) == "teacher", "professional"), else_="teacher")


def _version_of_other_side(column: Any) -> ScalarSelect[int]:
    return select(column).where(col(FeatureVersion.side) == _OTHER_SIDE).scalar_subquery()


# 1. The caller (deleted? participant?), their ranking features, and the version stamp of
# the side they browse.
_VIEWER = (
    select(
        col(User.role),
        col(User.side).label("user_side"),
        col(User.deleted_at),
        col(User.email_verified_at),
        col(Profile.complete),
        _version_of_other_side(col(FeatureVersion.version)).label("version"),
        _version_of_other_side(col(FeatureVersion.deletions)).label("deletions"),
        _version_of_other_side(col(FeatureVersion.prices)).label("prices"),
        *(getattr(Profile, name) for name in FEATURE_COLUMNS),
    )
    .select_from(User)
    .outerjoin(Profile, col(Profile.user_id) == col(User.id))
    .where(col(User.id) == _ME)
)


def _at_limit(column: Any) -> Select[Any]:
    return (
        select(column)
        .where(ongoing_clause(cast(datetime, _NOW)))  # only compared with
        .group_by(column)
        .having(func.count() >= _LIMIT)
    )


def _excluded() -> CompoundSelect[Any]:
    partner = case(
        (col(Match.teacher_id) == _ME, col(Match.professional_id)), else_=col(Match.teacher_id)
    )
    my_side = select(col(User.side)).where(col(User.id) == _ME).scalar_subquery()
    browsed = case((my_side == "teacher", col(Match.professional_id)), else_=col(Match.teacher_id))
    return union_all(
        select(col(Swipe.target_id)).where(col(Swipe.swiper_id) == _ME),
        # Whoever passed on me can never like me back (until they undo that pass).
        select(col(Swipe.swiper_id)).where(
            col(Swipe.target_id) == _ME, col(Swipe.decision) == "pass"
        ),
        select(col(Block.blocked_id)).where(col(Block.blocker_id) == _ME),
        select(col(Block.blocker_id)).where(col(Block.blocked_id) == _ME),
        select(partner).where(involving(cast(int, _ME))),
        # Of the side I browse, everyone at the ongoing-match limit (my side read in SQL, so
        # the statement needs nothing but my id).
        _at_limit(browsed),
    )


# 2. Everyone my feed never shows, in one statement.
_EXCLUDED = _excluded()

# 3. The page's profiles and owners this process holds no card of. Plain columns, not ORM
# objects: instantiating SQLModel table objects was the largest single cost of a feed page.
# Only what a card, the ranking features and the check in `_read_cards` need: no contact
# details or other private fields are read for the feed at all (fewer JSON columns to parse).
_PAGE_COLUMNS = (
    *(
        getattr(Profile, name)
        for name in dict.fromkeys(
            (
                *FEATURE_COLUMNS,
                *CARD_COLUMNS,
                "complete",
                "discoverable",
            )
        )
    ),
    col(User.name),
    col(User.deleted_at),
    col(User.email_verified_at),
)
_PAGE = (
    select(*_PAGE_COLUMNS)
    .join(User, col(User.id) == col(Profile.user_id))
    .where(col(Profile.user_id).in_(bindparam("ids", expanding=True)))
)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the caller's row and the exclusions decided: who browses which side, from where."""

    viewer: Participant  # the caller's ranking features
    other_side: str
    version: Version
    excluded: list[int]  # user ids, the caller included
    shown: list[int]  # shown earlier in this pass through the deck (the cursor)


@dataclass(frozen=True, slots=True)
class _Ranked:
    page_ids: list[int]
    ranking: Ranked


def _plan(me: Any, excluded_ids: Iterable[int], user_id: int, cursor: str | None) -> _Plan:
    """Check the caller (401/403/409/422) and what they may see."""
    check_participant(
        role=me.role if me else None,
        deleted_at=me.deleted_at if me else None,
        email_verified_at=me.email_verified_at if me else None,
    )
    assert me is not None
    if not me.complete or not me.place:
        raise Conflict(PROFILE_INCOMPLETE)  # a paused (not discoverable) profile may browse
    shown = decode_shown(cursor) if cursor is not None else []
    return _Plan(
        viewer=participant_from(me),
        other_side="professional" if me.user_side == "teacher" else "teacher",
        version=(int(me.version or 0), int(me.deletions or 0), int(me.prices or 0)),
        excluded=[*excluded_ids, user_id],
        shown=shown,
    )


@lru_cache(maxsize=1024)
def _viewer_pool(viewer: Participant) -> Pool:
    """The caller's features packed for scoring, cached by their values (a caller who
    browses several pages, or comes back unchanged, is packed once; any change is a new key).
    The arrays are only read."""
    return build_pool([viewer])


def _rank(plan: _Plan, features: SideFeatures, limit: int) -> _Ranked:
    eligible = features.active.copy()
    row_of = features.row_of
    eligible[[row_of[i] for i in plan.excluded if i in row_of]] = False
    if plan.shown:  # the feed's paging rule: the best of those this pass has not shown
        eligible[[row_of[i] for i in plan.shown if i in row_of]] = False
    ranking = rank_page(
        _viewer_pool(plan.viewer),
        features.pool,
        eligible,
        limit=limit,
        decimals=SCORE_DECIMALS,
        # Read, never computed here: `jobtinder tick` stores the prices (congestion.py).
        price=features.price if features.priced else None,
    )
    return _Ranked([int(features.pool.ids[row]) for row in ranking.rows], ranking)


def _cards(features: SideFeatures, ids: list[int]) -> tuple[dict[int, Card], list[int]]:
    """The cards of these candidates this process holds (read less than CARD_SECONDS ago),
    and the ids of those it must read."""
    kept = features.cards
    cards: dict[int, Card] = {}
    missing: list[int] = []
    oldest = time.monotonic() - CARD_SECONDS
    for user_id in ids:
        card = kept.get(user_id)
        if card is None or card.read_at < oldest:
            missing.append(user_id)
        else:
            cards[user_id] = card
    return cards, missing


def _read_cards(features: SideFeatures, version: int, rows: Iterable[Any]) -> dict[int, Card]:
    """Cards from the page's rows (`_PAGE`), kept for later pages if they cannot be older than
    the features (`SideFeatures.remember`).

    A row that says the profile may not be shown (paused or erased a moment ago, through
    another process whose change the features have not caught up with yet) makes no card:
    that candidate is left off the page.
    """
    cards = {}
    now = time.monotonic()
    for row in rows:
        if not rankable(row) or row.deleted_at is not None or row.email_verified_at is None:
            continue
        fields = card_fields_from_row(row)
        del fields["photo"]  # signed per page: see Card
        cards[row.user_id] = Card(
            json=orjson.dumps(fields)[:-1],  # without the closing brace: see Card
            photo=(row.photo_key, row.photo_width, row.photo_height),
            participant=participant_from(row),
            read_at=now,
        )
    features.remember(version, cards)
    return cards


def _page(plan: _Plan, ranked: _Ranked, cards: dict[int, Card], lang: str = "nl") -> FeedPage:
    viewer = plan.viewer
    scores = ranked.ranking.scores
    # The page's numbers as Python floats in one go (indexing NumPy arrays card by card, and
    # converting each row, cost more than the rest of a card's values).
    score_of = scores.score.tolist()
    breakdown_of = scores.breakdown.tolist()
    distance_of = scores.distance_km.tolist()
    items = []
    for position, candidate_id in enumerate(ranked.page_ids):
        card = cards.get(candidate_id)
        if card is None:
            continue
        items.append(
            FeedItem(
                card=card,
                score=score_of[position],
                breakdown=explain.breakdown_dict(breakdown_of[position]),
                reasons=explain.pair_reasons(
                    viewer,
                    card.participant,
                    tuple(breakdown_of[position]),
                    distance_of[position],
                    lang,
                ),
                distance_km=explain.whole_km(distance_of[position]),
            )
        )
    return FeedPage(items=items, next_cursor=_next_cursor(plan, ranked))


def _next_cursor(plan: _Plan, ranked: _Ranked) -> str | None:
    """What this pass has shown, this page included; those swiped since left the deck and
    need no remembering. None at the end of the deck, or when the pass is full."""
    if not ranked.ranking.more or not ranked.page_ids:
        return None
    gone = set(plan.excluded)
    shown = {i for i in plan.shown if i not in gone} | set(ranked.page_ids)
    return encode_shown(shown) if len(shown) <= MAX_SHOWN else None


def _params(user_id: int) -> dict[str, Any]:
    return {"me": user_id, "now": clock.now(), "limit": get_settings().max_ongoing_matches}


def build_feed(
    *, session: Session, user_id: int, limit: int, cursor: str | None, lang: str = "nl"
) -> FeedPage:
    """Rank the other side's discoverable profiles for me and return one page.

    The caller's token was only verified; whether they may browse (401/403) is decided here
    on the row the first query reads anyway. Three statements at most: the caller, who is
    excluded, the page's cards this process does not hold.
    """
    connection = session.connection()
    params = _params(user_id)
    me = connection.execute(_VIEWER, params).one_or_none()
    excluded: Iterable[int] = ()
    if me is not None:
        excluded = connection.execute(_EXCLUDED, params).scalars()
    plan = _plan(me, excluded, user_id, cursor)
    features = store.side(session, plan.other_side, version=plan.version)
    if len(features.pool) == 0:
        return FeedPage(items=[], next_cursor=None)
    ranked = _rank(plan, features, limit)
    cards, missing = _cards(features, ranked.page_ids)
    if missing:
        rows = connection.execute(_PAGE, {"ids": missing})
        cards |= _read_cards(features, plan.version[0], rows)
    return _page(plan, ranked, cards, lang)


# --- The same feed on the event loop (PostgreSQL) --------------------------------------------
#
# The same statements, compiled once for psycopg and sent on the hot paths' async pool: the
# caller with the exclusions (as an array column) in one statement, shared by the callers that
# arrive together in this process, and when the process lacks some of the page's cards, those
# profiles in a second.
# The feature store is read as it is when it is current; bringing it up to date (rare: only
# after a profile changed) runs in the threadpool with a session, as on the general path.


@dataclass(frozen=True, slots=True)
class _Sql:
    """A statement compiled for psycopg, with the values of its own literal parameters."""

    text: str
    defaults: dict[str, Any]

    def params(self, **values: Any) -> dict[str, Any]:
        return self.defaults | values


@cache
def _compiled() -> tuple[_Sql, _Sql, _Sql]:
    dialect = psycopg_dialect.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy's own
    # The caller and everyone excluded in one statement: the exclusions as an array column.
    excluded = _EXCLUDED.subquery("excluded")
    viewer = _VIEWER.add_columns(
        select(func.array_agg(excluded.c.target_id)).scalar_subquery().label("excluded_ids")
    )
    page = (
        select(*_PAGE_COLUMNS)
        .join(User, col(User.id) == col(Profile.user_id))
        .where(col(Profile.user_id) == any_(bindparam("ids", type_=ARRAY(Integer))))
    )
    compiled = [statement.compile(dialect=dialect) for statement in (viewer, page)]
    one, page_sql = (
        _Sql(str(c), {k: v for k, v in c.params.items() if v is not None}) for c in compiled
    )
    # Several callers at once: the same statement once per id, as a lateral subquery of the
    # ids (the caller's id is its only parameter that differs). One row per id, in their
    # order; an id with no user gives a row of nulls.
    assert one.text.count(_ME_SQL) > 1 and "%(me)s" not in one.text.replace(_ME_SQL, "")
    many = _Sql(
        "SELECT batch.n AS batch_n, viewer.* "
        "FROM unnest(%(ids)s::INTEGER[]) WITH ORDINALITY AS batch(id, n) "
        f"LEFT JOIN LATERAL ({one.text.replace(_ME_SQL, 'batch.id')}) AS viewer ON true "
        "ORDER BY batch.n",
        one.defaults,
    )
    return one, many, page_sql


_ME_SQL = "%(me)s::INTEGER"  # how the caller's id is written in the compiled statement


async def _read_viewers(
    pool: "AsyncConnectionPool[AsyncConnection] | None", user_ids: Sequence[int]
) -> list[Any]:
    """The feed's first read (the caller, their exclusions, the side's version) for the
    callers that arrived together in this process: one statement for them all
    (`app/services/batching.py`). None for an id with no user."""
    if pool is None:
        raise PoolClosed("the hot paths' pool is closed")  # shutting down: 503
    one, many, _ = _compiled()
    params = _params(user_ids[0])
    async with pool.connection() as conn:
        cursor = conn.cursor(row_factory=namedtuple_row)
        if len(user_ids) == 1:
            await cursor.execute(one.text, one.params(**params))
            return [await cursor.fetchone()]
        del params["me"]
        await cursor.execute(many.text, many.params(**params, ids=list(user_ids)))
        rows: list[Any] = await cursor.fetchall()
    assert len(rows) == len(user_ids)
    return [row if row.role is not None else None for row in rows]


async def build_feed_async(
    pool: "AsyncConnectionPool[AsyncConnection]",
    *,
    user_id: int,
    limit: int,
    cursor: str | None,
    lang: str = "nl",
) -> FeedPage:
    """`build_feed` on the hot paths' pool: same answers, one or two statements, no threads.

    The connection goes back to the pool while the page is ranked."""
    _, _, page_sql = _compiled()
    me: Any = await batching.batcher(pool, "feed_viewers", _read_viewers).submit(user_id)
    plan = _plan(me, (me.excluded_ids or ()) if me else (), user_id, cursor)
    features = store.current(plan.other_side, plan.version)
    if features is None:
        features = await run_in_threadpool(_bring_store_up_to_date, plan)
    if len(features.pool) == 0:
        return FeedPage(items=[], next_cursor=None)
    ranked = _rank(plan, features, limit)
    cards, missing = _cards(features, ranked.page_ids)
    if missing:
        async with pool.connection() as conn:
            page_cursor = conn.cursor(row_factory=namedtuple_row)
            await page_cursor.execute(page_sql.text, page_sql.params(ids=missing))
            rows = await page_cursor.fetchall()
        cards |= _read_cards(features, plan.version[0], rows)
    return _page(plan, ranked, cards, lang)


def _bring_store_up_to_date(plan: _Plan) -> SideFeatures:
    with session_scope() as session:
        return store.side(session, plan.other_side, version=plan.version)
