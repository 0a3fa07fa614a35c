"""What regional coordinators (coördinatoren) do: follow participants and pairs of their
regions, make blind matches, ask for the optimal pairing, read statistics.

Scope: every query is limited to the coordinator's regions (admins: all). Anything outside
answers 404, exactly like something that does not exist.
"""

import statistics
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlmodel import Session, col

from app import clock
from app.db import lock_users
from app.errors import ONGOING_MATCH_LIMIT as AT_LIMIT
from app.errors import PAIR_BLOCKED as BLOCKED
from app.errors import PAIR_MATCHED_BEFORE as MATCH_EXISTS
from app.errors import PARTICIPANT_NOT_VERIFIED as NOT_VERIFIED
from app.errors import Conflict, Invalid, NotFound
from app.matching import explain
from app.matching.features import build_pool
from app.matching.pairing import best_pairing
from app.models import (
    Block,
    Evaluation,
    Match,
    MatchOrigin,
    MatchStatus,
    Profile,
    Role,
    Side,
    Swipe,
    User,
)
from app.pagination import id_in_range
from app.services import matches as match_service
from app.services import trajectory
from app.services.feature_store import participant_from, rankable
from app.services.profiles import coordinator_regions
from app.services.swiping import blocked_between
from app.vocabulary import get_vocabulary


@dataclass(frozen=True, slots=True)
class Scope:
    """The regions a staff member may see; None = all (admin)."""

    regions: frozenset[str] | None

    def allows(self, region: str | None) -> bool:
        return self.regions is None or (region is not None and region in self.regions)

    def region_filter(self, region: str | None) -> frozenset[str] | None:
        """The regions a query covers: the one asked for (404 outside scope), or all mine."""
        if region is not None:
            if region not in get_vocabulary().region_codes or not self.allows(region):
                raise NotFound()
            return frozenset({region})
        return self.regions


def scope_of(session: Session, user: User) -> Scope:
    regions = coordinator_regions(session, user)
    return Scope(None if regions is None else frozenset(regions))


def participant_status(profile: Profile | None, statuses: list[str]) -> str:
    if profile is None:
        return "no_profile"
    if not profile.complete:
        return "incomplete"
    for status in ("trial", "active"):
        if status in statuses:
            return status
    if "completed" in statuses:
        return "completed"
    return "looking"


def match_statuses(session: Session, user_ids: list[int]) -> dict[int, list[str]]:
    """Effective statuses of every match of these users."""
    out: dict[int, list[str]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return out
    now = clock.now()
    rows = session.scalars(
        select(Match).where(
            or_(col(Match.teacher_id).in_(user_ids), col(Match.professional_id).in_(user_ids))
        )
    )
    for match in rows:
        status = match_service.effective_status(match, now)
        for uid in (match.teacher_id, match.professional_id):
            if uid in out:
                out[uid].append(status)
    return out


def list_participants(
    *,
    session: Session,
    scope: Scope,
    region: str | None,
    side: str | None,
    status: str | None,
    after_id: int | None,
    limit: int,
) -> list[tuple[User, Profile | None, str]]:
    """Participants in my regions with their status, by id; one row more than the page."""
    regions = scope.region_filter(region)
    query = (
        select(User, Profile)
        .join(Profile, col(Profile.user_id) == col(User.id), isouter=regions is None)
        .where(col(User.role) == Role.participant.value, col(User.deleted_at).is_(None))
    )
    if regions is not None:
        query = query.where(col(Profile.region).in_(regions))
    if side is not None:
        query = query.where(col(User.side) == side)
    if after_id is not None:
        query = query.where(col(User.id) > after_id)
    query = query.order_by(col(User.id))
    out: list[tuple[User, Profile | None, str]] = []
    # Status depends on matches: filter in batches until the page is full.
    offset, batch = 0, max(limit * 4, 100)
    while len(out) <= limit:
        rows = session.execute(query.offset(offset).limit(batch)).all()
        if not rows:
            break
        statuses = match_statuses(session, [u.id for u, _ in rows if u.id is not None])
        for user, profile in rows:
            assert user.id is not None
            current = participant_status(profile, statuses[user.id])
            if status is None or current == status:
                out.append((user, profile, current))
        offset += batch
    return out[: limit + 1]


def pairs_in_regions(regions: frozenset[str] | None) -> ColumnElement[bool] | None:
    """Matches where either partner was in one of `regions` when the match began."""
    if regions is None:
        return None
    return or_(col(Match.teacher_region).in_(regions), col(Match.professional_region).in_(regions))


def match_in_scope(session: Session, scope: Scope, match_id: int) -> Match:
    match = session.get(Match, id_in_range(match_id))
    if match is None:
        raise NotFound()
    clause = pairs_in_regions(scope.regions)
    if clause is not None and not session.scalar(
        select(func.count()).select_from(Match).where(col(Match.id) == match_id, clause)
    ):
        raise NotFound()
    return match


def is_at_risk(match: Match, progress: trajectory.Progress, now: datetime) -> bool:
    """Trial overdue, or an ongoing pair whose hours lag the plan's pace."""
    status = match_service.effective_status(match, now)
    if status == MatchStatus.trial and clock.as_utc(match.trial_ends_at) <= now:
        return True
    return trajectory.is_behind(match, progress, now)


@dataclass(frozen=True, slots=True)
class MatchPage:
    """What coordinators' rows of some matches show, read for all of them at once: five
    statements for a page, however many rows it has."""

    users: dict[int, User]
    profiles: dict[int, Profile]
    progress: dict[int, trajectory.Progress]
    evaluations: dict[int, list[Evaluation]]

    def at_risk(self, match: Match, now: datetime) -> bool:
        assert match.id is not None
        return is_at_risk(match, self.progress[match.id], now)


def load_match_page(session: Session, matches: Sequence[Match]) -> MatchPage:
    """Both partners (users and profiles), progress and evaluations of these matches."""
    partner_ids = sorted({uid for m in matches for uid in (m.teacher_id, m.professional_id)})
    match_ids = [m.id for m in matches if m.id is not None]
    users: dict[int, User] = {}
    profiles: dict[int, Profile] = {}
    evaluations: dict[int, list[Evaluation]] = {match_id: [] for match_id in match_ids}
    if partner_ids:
        users = {
            u.id: u
            for u in session.scalars(select(User).where(col(User.id).in_(partner_ids)))
            if u.id is not None
        }
        profiles = {
            p.user_id: p
            for p in session.scalars(select(Profile).where(col(Profile.user_id).in_(partner_ids)))
        }
    if match_ids:
        for evaluation in session.scalars(
            select(Evaluation)
            .where(col(Evaluation.match_id).in_(match_ids))
            .order_by(col(Evaluation.id))
        ):
            evaluations[evaluation.match_id].append(evaluation)
    return MatchPage(
        users=users,
        profiles=profiles,
        progress=trajectory.progress_many(session, matches),
        evaluations=evaluations,
    )


def list_matches(
    *,
    session: Session,
    scope: Scope,
    region: str | None,
    status: str | None,
    origin: str | None,
    at_risk: bool | None,
    after_id: int | None,
    limit: int,
) -> list[Match]:
    """Matches in my regions, newest first; one row more than the page."""
    now = clock.now()
    query = select(Match)
    clause = pairs_in_regions(scope.region_filter(region))
    if clause is not None:
        query = query.where(clause)
    if status is not None:
        query = query.where(match_service.status_clause(status, now))
    if origin is not None:
        query = query.where(col(Match.origin) == origin)
    if after_id is not None:
        query = query.where(col(Match.id) < after_id)
    query = query.order_by(col(Match.id).desc())
    if at_risk is None:
        return list(session.scalars(query.limit(limit + 1)))
    if at_risk:  # only ongoing pairs can be at risk
        query = query.where(match_service.ongoing_clause(now))
    # Being behind depends on logged hours and the plan: filter in batches until the page is
    # full (each batch's progress in two statements).
    out: list[Match] = []
    offset, batch = 0, max(limit * 4, 100)
    while len(out) <= limit:
        rows = list(session.scalars(query.offset(offset).limit(batch)))
        progress = trajectory.progress_many(session, rows)
        out += [m for m in rows if is_at_risk(m, progress[m.id or 0], now) == at_risk]
        if len(rows) < batch:
            break
        offset += batch
    return out[: limit + 1]


def _participant_in_scope(session: Session, scope: Scope, user_id: int) -> tuple[User, Profile]:
    """The participant as stored now (not an older copy the session may hold); else 404."""
    user = session.get(User, user_id, populate_existing=True)
    profile = session.get(Profile, user_id, populate_existing=True) if user else None
    if (
        user is None
        or user.is_deleted
        or user.role != Role.participant
        or profile is None
        or not scope.allows(profile.region)
    ):
        raise NotFound()
    return user, profile


def participant_in_scope(session: Session, scope: Scope, user_id: int) -> tuple[User, Profile]:
    """A participant with a profile in my regions; 404 for anyone else."""
    return _participant_in_scope(session, scope, user_id)


def blind_match(
    *, session: Session, scope: Scope, coordinator: User, teacher_id: int, professional_id: int
) -> Match:
    """A coordinator's match (the pilot's way): starts in trial, both are notified.

    Both users are locked first and everything the match depends on is read after that, like
    a like that starts a match: an erasure that commits meanwhile is seen (404), never paired.
    """
    lock_users(session, [teacher_id, professional_id])
    teacher, _ = _participant_in_scope(session, scope, teacher_id)
    professional, _ = _participant_in_scope(session, scope, professional_id)
    if teacher.side != "teacher":
        raise Invalid("teacher_id is not a teacher.", loc=["body", "teacher_id"])
    if professional.side != "professional":
        raise Invalid("professional_id is not a professional.", loc=["body", "professional_id"])
    if not (teacher.email_verified and professional.email_verified):
        raise Conflict(NOT_VERIFIED)  # as in the feed: not paired before the address is theirs
    if match_service.match_between(session, teacher_id, professional_id) is not None:
        raise Conflict(MATCH_EXISTS)
    if blocked_between(session, teacher_id, professional_id):
        raise Conflict(BLOCKED)
    if match_service.at_limit(session, [teacher_id, professional_id], clock.now()):
        raise Conflict(AT_LIMIT)
    match = match_service.create_match(
        session=session,
        teacher=teacher,
        professional=professional,
        origin=MatchOrigin.coordinator,
        created_by=coordinator,
    )
    session.flush()
    session.refresh(match)
    return match


@dataclass(frozen=True, slots=True)
class Suggestion:
    teacher: User
    professional: User
    teacher_profile: Profile
    professional_profile: Profile
    score: float
    breakdown: tuple[float, float, float, float]
    reasons: list[str]
    distance_km: float


def suggestions(
    *, session: Session, scope: Scope, region: str
) -> tuple[list[Suggestion], list[int], list[int]]:
    """The optimal one-to-one pairing of the region's unmatched, discoverable participants."""
    scope.region_filter(region)  # 404 outside my regions or unknown
    now = clock.now()
    profiles = [
        p
        for p in session.scalars(select(Profile).where(col(Profile.region) == region))
        if rankable(p)
    ]
    users = {
        u.id: u
        for u in session.scalars(
            select(User).where(col(User.id).in_([p.user_id for p in profiles]))
        )
    }
    # Only those who confirmed their address: as in the feed, nobody is paired before that.
    profiles = [p for p in profiles if users[p.user_id].email_verified]
    ids = [p.user_id for p in profiles]
    busy: set[int] = set()
    forbidden: set[tuple[int, int]] = set()
    if ids:
        for m in session.scalars(
            select(Match).where(
                or_(col(Match.teacher_id).in_(ids), col(Match.professional_id).in_(ids))
            )
        ):
            forbidden.add((m.teacher_id, m.professional_id))
            if match_service.effective_status(m, now) in ("trial", "active"):
                busy.update((m.teacher_id, m.professional_id))
        for b in session.scalars(
            select(Block).where(or_(col(Block.blocker_id).in_(ids), col(Block.blocked_id).in_(ids)))
        ):
            forbidden.update({(b.blocker_id, b.blocked_id), (b.blocked_id, b.blocker_id)})
    free = [p for p in profiles if p.user_id not in busy]
    teachers = [participant_from(p) for p in free if p.side == "teacher"]
    pros = [participant_from(p) for p in free if p.side == "professional"]
    pairs = best_pairing(build_pool(teachers), build_pool(pros), forbidden)
    by_id = {p.user_id: p for p in free}
    features = {p.user_id: p for p in teachers + pros}
    out = []
    for pair in pairs:
        t, p = features[pair.teacher_id], features[pair.professional_id]
        out.append(
            Suggestion(
                teacher=users[pair.teacher_id],
                professional=users[pair.professional_id],
                teacher_profile=by_id[pair.teacher_id],
                professional_profile=by_id[pair.professional_id],
                score=pair.score,
                breakdown=pair.breakdown,
                reasons=explain.pair_reasons(t, p, pair.breakdown, pair.distance_km),
                distance_km=round(pair.distance_km, 1),
            )
        )
    paired_t = {pair.teacher_id for pair in pairs}
    paired_p = {pair.professional_id for pair in pairs}
    return (
        out,
        sorted(t.user_id for t in teachers if t.user_id not in paired_t),
        sorted(p.user_id for p in pros if p.user_id not in paired_p),
    )


def stats(
    *,
    session: Session,
    scope: Scope,
    region: str | None,
    period_from: datetime | None,
    period_to: datetime | None,
) -> dict[str, object]:
    """The programme's evaluation figures for my regions (or one of them) and a period."""
    regions = scope.region_filter(region)
    now = clock.now()
    profile_q = select(Profile)
    if regions is not None:
        profile_q = profile_q.where(col(Profile.region).in_(regions))
    profiles = list(session.scalars(profile_q))
    participants = Counter(p.side for p in profiles)
    complete = Counter(p.side for p in profiles if p.complete)
    ids = [p.user_id for p in profiles]

    swipe_q = select(col(Swipe.decision), func.count()).group_by(Swipe.decision)
    match_q = select(Match)
    if regions is not None:
        swipe_q = swipe_q.where(col(Swipe.swiper_id).in_(ids))
        clause = pairs_in_regions(regions)
        assert clause is not None
        match_q = match_q.where(clause)
    if period_from is not None:
        swipe_q = swipe_q.where(col(Swipe.created_at) >= period_from)
        match_q = match_q.where(col(Match.created_at) >= period_from)
    if period_to is not None:
        swipe_q = swipe_q.where(col(Swipe.created_at) < period_to)
        match_q = match_q.where(col(Match.created_at) < period_to)
    swipes = dict(session.execute(swipe_q).tuples().all())
    matches = list(session.scalars(match_q))
    by_status = Counter(match_service.effective_status(m, now) for m in matches)
    decided = [
        m
        for m in matches
        if m.activated_at is not None or (m.status == "ended" and m.activated_at is None)
    ]
    rate = sum(1 for m in decided if m.activated_at is not None) / len(decided) if decided else None
    exits = Counter(m.exit_reason or "none_given" for m in matches if m.status == "ended")
    trajectory_figures = _trajectory_figures(session, matches, now)
    return trajectory_figures | {
        "region": region,
        "period_from": period_from,
        "period_to": period_to,
        "participants": {
            "teacher": participants[Side.teacher],
            "professional": participants[Side.professional],
        },
        "complete_profiles": {
            "teacher": complete[Side.teacher],
            "professional": complete[Side.professional],
        },
        "likes": int(swipes.get("like", 0)),
        "passes": int(swipes.get("pass", 0)),
        "mutual_matches": sum(1 for m in matches if m.origin == MatchOrigin.mutual_like),
        "coordinator_matches": sum(1 for m in matches if m.origin == MatchOrigin.coordinator),
        "matches_by_status": {s.value: by_status.get(s.value, 0) for s in MatchStatus},
        "trial_to_active_rate": round(rate, 4) if rate is not None else None,
        "exits_by_reason": dict(sorted(exits.items())),
    }


def ended_by_side(match: Match) -> str | None:
    if match.ended_by_id is None:
        return None
    if match.ended_by_id == match.teacher_id:
        return "teacher"
    if match.ended_by_id == match.professional_id:
        return "professional"
    return "coordinator"


MIDTERM_SCALES = (
    "satisfaction",
    "personal_click",
    "professional_click",
    "different_types",
    "match_importance",
    "confidence",
)
FINAL_SCALES = ("expectations_met", "hours_spent")


def _trajectory_figures(session: Session, matches: list[Match], now: datetime) -> dict[str, object]:
    """Hours, pace and evaluations of these matches, as the TNO evaluation measured them."""
    from app.services.trajectory import progress_many

    started = [m for m in matches if m.status != "ended" or m.activated_at is not None]
    progress = progress_many(session, started)
    hours = sorted(p.hours_logged for p in progress.values())
    ongoing = [m for m in started if match_service.effective_status(m, now) in ("trial", "active")]
    on_track = [progress[m.id].on_track for m in ongoing if m.id in progress]
    ids = [m.id for m in matches if m.id is not None]
    evaluations = (
        list(session.scalars(select(Evaluation).where(col(Evaluation.match_id).in_(ids))))
        if ids
        else []
    )

    def averages(kind: str, keys: tuple[str, ...]) -> dict[str, float | None]:
        answers = [e.answers for e in evaluations if e.kind == kind and e.answers]
        out: dict[str, float | None] = {}
        for key in keys:
            values = [float(a[key]) for a in answers if isinstance(a.get(key), int | float)]
            out[key] = round(sum(values) / len(values), 2) if values else None
        return out

    finals = [e.answers for e in evaluations if e.kind == "final" and e.answers]
    reached = Counter(code for a in finals for code in a.get("outcomes_reached", []))
    continuing = Counter(str(a.get("will_continue")) for a in finals if a.get("will_continue"))
    return {
        "median_hours_logged": round(statistics.median(hours), 2) if hours else None,
        "total_hours_logged": round(sum(hours), 2),
        "share_on_track": round(sum(on_track) / len(on_track), 4) if on_track else None,
        "midterm_evaluations": sum(1 for e in evaluations if e.kind == "midterm"),
        "final_evaluations": len(finals),
        "midterm_averages": averages("midterm", MIDTERM_SCALES),
        "final_averages": averages("final", FINAL_SCALES),
        "outcomes_reached": dict(sorted(reached.items())),
        "will_continue": dict(sorted(continuing.items())),
    }


# --- exports: everything of my regions, read and written in batches -----------------------

EXPORT_BATCH = 500


def match_batches(
    *, session: Session, scope: Scope, region: str | None, size: int = EXPORT_BATCH
) -> Iterator[list[Match]]:
    """Every match of my regions (or one), newest first, `size` at a time. The region is
    checked (404) when the first batch is read."""
    after_id: int | None = None
    while True:
        rows = list_matches(
            session=session,
            scope=scope,
            region=region,
            status=None,
            origin=None,
            at_risk=None,
            after_id=after_id,
            limit=size,
        )
        yield rows[:size]
        if len(rows) <= size:
            return
        after_id = rows[size - 1].id


def participant_batches(
    *, session: Session, scope: Scope, region: str | None, size: int = EXPORT_BATCH
) -> Iterator[list[tuple[User, Profile | None, str]]]:
    """Every participant of my regions (or one) with their status, by id, `size` at a time.
    The region is checked (404) when the first batch is read."""
    after_id: int | None = None
    while True:
        rows = list_participants(
            session=session,
            scope=scope,
            region=region,
            side=None,
            status=None,
            after_id=after_id,
            limit=size,
        )
        yield rows[:size]
        if len(rows) <= size:
            return
        after_id = rows[size - 1][0].id
