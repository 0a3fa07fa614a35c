"""The match lifecycle: trial (proeftijd) → active → completed, or ended by the exit-kaart.

Time-based transitions are derived on read from the stored dates, so every API process agrees
without a scheduler: an `active` match whose `ends_at` has passed *is* completed
(`effective_status`), and queries filter with the same rule (`status_clause`). `jobtinder tick`
may store that completion later (`persist_completions`); nothing depends on it. Completion by
both final evaluations is stored with the second one (`complete_match`).
"""

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlmodel import Session, col

from app import clock
from app.config import get_settings
from app.errors import MATCH_NOT_IN_TRIAL, MATCH_NOT_ONGOING, Conflict
from app.models import Match, MatchOrigin, MatchStatus, Profile, Side, User
from app.services import events
from app.services.notifications import notify


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def effective_status(match: Match, now: datetime | None = None) -> str:
    now = now or clock.now()
    if match.status == MatchStatus.active and clock.as_utc(match.ends_at) <= now:
        return MatchStatus.completed.value
    return match.status


def status_clause(status: str, now: datetime) -> ColumnElement[bool]:
    """SQL for 'effective status is `status`' (see module docstring)."""
    stored, ends_at = col(Match.status), col(Match.ends_at)
    if status == MatchStatus.active:
        return and_(stored == "active", ends_at > now)
    if status == MatchStatus.completed:
        return or_(stored == "completed", and_(stored == "active", ends_at <= now))
    return stored == status


def ongoing_clause(now: datetime) -> ColumnElement[bool]:
    return or_(status_clause("trial", now), status_clause("active", now))


def involving(user_id: int) -> ColumnElement[bool]:
    return or_(col(Match.teacher_id) == user_id, col(Match.professional_id) == user_id)


def ongoing_count(session: Session, user_id: int, now: datetime) -> int:
    query = select(func.count()).select_from(Match).where(involving(user_id), ongoing_clause(now))
    return int(session.scalar(query) or 0)


def match_between(session: Session, a: int, b: int) -> Match | None:
    pair = or_(
        and_(col(Match.teacher_id) == a, col(Match.professional_id) == b),
        and_(col(Match.teacher_id) == b, col(Match.professional_id) == a),
    )
    return session.scalar(select(Match).where(pair))


def at_limit(session: Session, user_ids: list[int], now: datetime) -> bool:
    limit = get_settings().max_ongoing_matches
    return any(ongoing_count(session, uid, now) >= limit for uid in user_ids)


def create_match(
    *,
    session: Session,
    teacher: User,
    professional: User,
    origin: MatchOrigin,
    created_by: User | None = None,
) -> Match:
    """Start a match in its trial period (the caller holds the users' locks and commits)."""
    assert teacher.id is not None and professional.id is not None
    now = clock.now()
    teacher_profile = session.get(Profile, teacher.id)
    professional_profile = session.get(Profile, professional.id)
    durations = [p.duration_months for p in (teacher_profile, professional_profile) if p]
    duration = min(durations) if durations else 3
    match = Match(
        teacher_id=teacher.id,
        professional_id=professional.id,
        teacher_region=teacher_profile.region if teacher_profile else None,
        professional_region=professional_profile.region if professional_profile else None,
        origin=origin,
        status=MatchStatus.trial,
        created_by_id=created_by.id if created_by else None,
        created_at=now,
        trial_ends_at=now + timedelta(days=get_settings().trial_days),
        duration_months=duration,
        ends_at=add_months(now, duration),
    )
    session.add(match)
    session.flush()
    kind = "coordinator_match" if origin == MatchOrigin.coordinator else "match_created"
    for user, partner in ((teacher, professional), (professional, teacher)):
        assert user.id is not None
        notify(
            session=session,
            user_id=user.id,
            type_=kind,
            data={"match_id": match.id, "partner_id": partner.id, "partner_name": partner.name},
        )
    emit_match_updated(session, match)
    return match


def emit_match_updated(session: Session, match: Match) -> None:
    """`match_updated` for both partners, each with their own view (caller commits)."""
    assert match.id is not None
    status = effective_status(match)
    for uid in (match.teacher_id, match.professional_id):
        mine = confirmations(match, uid)
        events.emit(
            session,
            user_id=uid,
            type="match_updated",
            data={
                "match_id": match.id,
                "status": status,
                "confirmed_by_me": mine.mine,
                "confirmed_by_partner": mine.partner,
            },
        )


@dataclass(frozen=True, slots=True)
class Confirmations:
    mine: bool
    partner: bool


def confirmations(match: Match, user_id: int) -> Confirmations:
    teacher = match.teacher_confirmed_at is not None
    professional = match.professional_confirmed_at is not None
    if user_id == match.teacher_id:
        return Confirmations(mine=teacher, partner=professional)
    if user_id == match.professional_id:
        return Confirmations(mine=professional, partner=teacher)
    return Confirmations(mine=False, partner=False)


def confirm_match(*, session: Session, match: Match, by: User) -> Match:
    """I want to continue after the trial; when both have confirmed the match becomes active."""
    assert by.id is not None and match.id is not None
    lock_match(session, match)
    now = clock.now()
    is_teacher = by.id == match.teacher_id
    already = match.teacher_confirmed_at if is_teacher else match.professional_confirmed_at
    status = effective_status(match, now)
    if already is not None and status in (MatchStatus.trial, MatchStatus.active):
        # Confirming twice changes nothing, also the retry of the confirm that made it active.
        return match
    if status != MatchStatus.trial:
        raise Conflict(MATCH_NOT_IN_TRIAL)
    if is_teacher:
        match.teacher_confirmed_at = now
    else:
        match.professional_confirmed_at = now
    partner_id = match.partner_of(by.id)
    data = {"match_id": match.id}
    if match.teacher_confirmed_at and match.professional_confirmed_at:
        match.status = MatchStatus.active
        match.activated_at = now
        for uid in (match.teacher_id, match.professional_id):
            notify(session=session, user_id=uid, type_="match_active", data=data)
    else:
        notify(session=session, user_id=partner_id, type_="partner_confirmed", data=data)
    session.add(match)
    emit_match_updated(session, match)
    session.flush()
    session.refresh(match)
    return match


def end_match(
    *,
    session: Session,
    match: Match,
    by: User | None,
    reason: str | None,
    note: str | None,
) -> bool:
    """End the match in the current transaction if it is still ongoing, and tell both,
    neutrally. False (nothing changed, nobody notified) when it already left trial/active.

    The first transition out of trial/active wins: the match is re-read under its row lock
    (`lock_match`) before its status is looked at, so an exit, a block or an erasure that
    raced another one sees that it ended and leaves its record alone.
    """
    lock_match(session, match)
    now = clock.now()
    if effective_status(match, now) not in (MatchStatus.trial, MatchStatus.active):
        return False
    match.status = MatchStatus.ended
    match.ended_at = now
    match.ended_by_id = by.id if by else None
    match.exit_reason = reason
    match.exit_note = note
    session.add(match)
    for uid in (match.teacher_id, match.professional_id):
        if by is None or uid != by.id:
            # Neutral on purpose: never the reason, the note, or who ended it.
            notify(session=session, user_id=uid, type_="match_ended", data={"match_id": match.id})
    emit_match_updated(session, match)
    return True


def exit_match(
    *, session: Session, match: Match, by: User, reason: str | None, note: str | None
) -> Match:
    """The no-hard-feelings exit (exit-kaart): one call, any time, no reason needed.

    409 when the match is no longer ongoing — also when a block, an erasure or the partner's
    exit ended it a moment ago.
    """
    if not end_match(session=session, match=match, by=by, reason=reason, note=note):
        raise Conflict(MATCH_NOT_ONGOING)
    session.flush()
    session.refresh(match)
    return match


def lock_match(session: Session, match: Match) -> None:
    """Re-read the match under its row lock, so that whatever changes it serialises and sees
    the last committed state (the identity map may hold an older copy).

    On SQLite the request's transaction has held the database write lock since its first
    statement, so what it loaded is current: nothing to do.
    """
    if session.get_bind().dialect.name != "sqlite":
        session.refresh(match, with_for_update={"key_share": True})


def complete_match(*, session: Session, match: Match) -> None:
    """Store `completed` (in the caller's transaction): both filed the final evaluation."""
    now = clock.now()
    match.status = MatchStatus.completed
    match.completed_at = min(now, clock.as_utc(match.ends_at))
    session.add(match)
    emit_match_updated(session, match)


def persist_completions(*, session: Session, now: datetime) -> int:
    """Store `completed` for active matches past `ends_at` (idempotent; reads derive it anyway)."""
    completed = session.scalars(
        update(Match)
        .where(col(Match.status) == MatchStatus.active.value, col(Match.ends_at) <= now)
        .values(status=MatchStatus.completed.value, completed_at=col(Match.ends_at))
        .returning(Match)
        .execution_options(synchronize_session=False)
    ).all()
    for match in completed:
        emit_match_updated(session, match)
    return len(completed)


def list_matches(
    *, session: Session, user_id: int, status: str | None, after_id: int | None, limit: int
) -> list[Match]:
    """My matches, newest first, one row more than the page to tell if another follows."""
    query = select(Match).where(involving(user_id))
    if status is not None:
        query = query.where(status_clause(status, clock.now()))
    if after_id is not None:
        query = query.where(col(Match.id) < after_id)
    return list(session.scalars(query.order_by(col(Match.id).desc()).limit(limit + 1)))


def sides(a: User, b: User) -> tuple[User, User]:
    """(teacher, professional) of a pair."""
    return (a, b) if a.side == Side.teacher else (b, a)
