"""Which notification types also go out by mail, per user (in-app is always on).

Only explicit choices are stored (`notification_settings`); a type without a row has its
default below. Every notification type that can mail has a mail template of the same name.
"""

from collections.abc import Mapping

from sqlalchemy import select, update
from sqlmodel import Session, col

from app.db import conflict_insert
from app.models import NotificationSetting, User
from app.schemas.notifications import NotificationSettingsIn, NotificationSettingsOut

# type -> mail on by default. Types not listed here (partner_confirmed, match_active) are
# in-app only.
MAIL_DEFAULTS: dict[str, bool] = {
    "match_created": True,
    "coordinator_match": True,
    "trial_ending": True,
    "behind_schedule": True,
    "match_ended": True,
}
IN_APP_TYPES = (
    "match_created",
    "coordinator_match",
    "partner_confirmed",
    "match_active",
    "match_ended",
    "trial_ending",
    "behind_schedule",
)


def mail_choices(session: Session, user_id: int) -> dict[str, bool]:
    """Mail on/off for every mailable type, defaults filled in."""
    stored = {
        row.type: bool(row.mail)
        for row in session.execute(
            select(col(NotificationSetting.type), col(NotificationSetting.mail)).where(
                col(NotificationSetting.user_id) == user_id
            )
        )
    }
    return {t: bool(stored.get(t, default)) for t, default in MAIL_DEFAULTS.items()}


def mail_enabled(session: Session, user_id: int, type_: str) -> bool:
    if type_ not in MAIL_DEFAULTS:
        return False
    stored = session.scalar(
        select(col(NotificationSetting.mail)).where(
            col(NotificationSetting.user_id) == user_id, col(NotificationSetting.type) == type_
        )
    )
    return MAIL_DEFAULTS[type_] if stored is None else bool(stored)


def set_mail_choices(session: Session, user_id: int, choices: Mapping[str, bool]) -> None:
    """Store these choices (upsert; the caller commits). Unknown types: ValueError."""
    unknown = set(choices) - MAIL_DEFAULTS.keys()
    if unknown:
        raise ValueError(f"unknown notification type(s): {', '.join(sorted(unknown))}")
    if not choices:
        return
    rows = [{"user_id": user_id, "type": t, "mail": bool(on)} for t, on in choices.items()]
    statement = conflict_insert(session, NotificationSetting).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "type"], set_={"mail": statement.excluded.mail}
        )
    )


def read_settings(*, session: Session, user: User) -> NotificationSettingsOut:
    """My language and, per notification type, whether it also comes by mail."""
    assert user.id is not None
    return NotificationSettingsOut(
        language="en" if user.language == "en" else "nl",
        mail=mail_choices(session, user.id),
        in_app=dict.fromkeys(IN_APP_TYPES, True),
    )


def update_settings(
    *, session: Session, user: User, body: NotificationSettingsIn
) -> NotificationSettingsOut:
    """Change what was sent, keep the rest (the caller commits)."""
    assert user.id is not None
    if body.language is not None and body.language != user.language:
        session.execute(update(User).where(col(User.id) == user.id).values(language=body.language))
        user.language = body.language
    if body.mail:
        set_mail_choices(session, user.id, {str(k): on for k, on in body.mail.items()})
    return read_settings(session=session, user=user)
