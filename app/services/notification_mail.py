"""Notification → mail: called where in-app notifications are stored (app/services/
notifications.py), for those that were actually inserted, in the same transaction.

Only the types of `MAIL_DEFAULTS` mail, and only to a user who has mail on for that type and
an account that is not erased. Each becomes one non-essential outbox row (kind = the type);
the worker folds a person's rows of one type into at most one mail a day.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlmodel import Session, col

from app.mail.links import app_link
from app.models import NotificationSetting, User
from app.services.mail_preferences import MAIL_DEFAULTS
from app.services.outbox import enqueue_mail

MONTHS_NL = (
    "januari februari maart april mei juni juli augustus september oktober november december"
).split()
MONTHS_EN = (
    "January February March April May June July August September October November December"
).split()


@dataclass(frozen=True, slots=True)
class Stored:
    """An in-app notification that was just stored."""

    user_id: int
    type_: str
    data: dict[str, Any]


def mail_notifications(session: Session, stored: Sequence[Stored]) -> int:
    """Queue the mails these notifications call for (the caller commits); how many."""
    mailable = [s for s in stored if s.type_ in MAIL_DEFAULTS]
    if not mailable:
        return 0
    user_ids = sorted({s.user_id for s in mailable})
    types = sorted({s.type_ for s in mailable})
    # One round trip: the recipients, each with their stored choices for these types.
    rows = session.execute(
        select(
            col(User.id), col(User.email), col(User.name), col(User.language),
            col(User.deleted_at), col(NotificationSetting.type), col(NotificationSetting.mail),
        )
        .outerjoin(
            NotificationSetting,
            and_(
                col(NotificationSetting.user_id) == col(User.id),
                col(NotificationSetting.type).in_(types),
            ),
        )
        .where(col(User.id).in_(user_ids))
    ).all()  # fmt: skip
    users = {row.id: row for row in rows}
    choices = {(row.id, row.type): bool(row.mail) for row in rows if row.type is not None}
    queued = 0
    for note in mailable:
        user = users.get(note.user_id)
        if user is None or user.email is None or user.deleted_at is not None:
            continue
        if not choices.get((note.user_id, note.type_), MAIL_DEFAULTS[note.type_]):
            continue
        language = user.language if user.language in ("nl", "en") else "nl"
        enqueue_mail(
            session,
            template=note.type_,
            to=user.email,
            language=language,
            context={"name": user.name} | item_context(note.type_, note.data, language),
            user_id=note.user_id,
            essential=False,
            kind=note.type_,
        )
        queued += 1
    return queued


def item_context(type_: str, data: dict[str, Any], language: str) -> dict[str, Any]:
    """The template's item placeholders, from the notification's data."""
    match_id = data.get("match_id")
    link = app_link(f"matches/{match_id}") if match_id is not None else app_link("notifications")
    context: dict[str, Any] = {"link": link, "match_id": match_id}
    if type_ in ("match_created", "coordinator_match"):
        context |= {"partner_name": data["partner_name"], "partner_id": data["partner_id"]}
    elif type_ == "trial_ending":
        context["trial_ends_on"] = _date(data["trial_ends_at"], language)
    elif type_ == "behind_schedule":
        context |= {
            "hours_logged": _hours(data["hours_logged"]),
            "hours_target": _hours(data["hours_target"]),
            "behind_by_hours": _hours(data["behind_by_hours"]),
        }
    return context


def _date(value: str, language: str) -> str:
    day: date = datetime.fromisoformat(value).date()
    months = MONTHS_EN if language == "en" else MONTHS_NL
    return f"{day.day} {months[day.month - 1]} {day.year}"


def _hours(value: float | int) -> str:
    number = round(float(value), 1)
    return str(int(number)) if number.is_integer() else str(number)
