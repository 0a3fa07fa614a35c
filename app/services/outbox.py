"""The mail outbox: mails are stored in the same transaction as the event that causes them,
and delivered afterwards by a worker (`jobtinder worker`, or the API's background loop).

Delivery, per batch:
1. claim: due rows (`pending` and due, or `sending` whose claim expired because a worker
   died) become `sending` with a lease, in one short transaction. On PostgreSQL the rows are
   selected `FOR UPDATE SKIP LOCKED`, so concurrent workers claim disjoint sets; on SQLite the
   transaction holds the database write lock. No mail is claimed by two workers at once.
2. prepare (per mail): skip it if the account is gone or the user turned this mail type off;
   a notification mail first takes its day's digest slot (`mail_digest_slots`, primary key
   user + type + UTC day: at most one per person per type per day, whichever worker is first)
   and folds the other pending mails of that type into itself, or waits for the next day.
3. send outside any transaction; then `sent` (its context, which may hold a one-time link,
   is cleared), or back to `pending` with exponential backoff. A mail the server refuses
   `MAIL_MAX_ATTEMPTS` times is `failed` (kept, never deleted); while the server is
   unreachable nothing is failed: the batch waits and is delivered when it comes back.

A worker that dies between the server accepting a mail and marking it sent leaves a claim
that expires after `LEASE`; that mail is then sent again (at least once, never lost).
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from app import clock
from app.config import Settings, get_settings
from app.db import conflict_insert, new_session
from app.errors import UNSUBSCRIBE_UNKNOWN, UNSUBSCRIBE_USED, Gone, NotFound
from app.mail import links
from app.mail.render import build_message, check_context, render
from app.mail.templates import LANGUAGES, get_template
from app.mail.transport import Connection, MailRejected, TransportDown, connect
from app.models import MailDigestSlot, MailStatus, OutboxMail, User
from app.services import claiming
from app.services.mail_preferences import mail_enabled, set_mail_choices

log = logging.getLogger("jobtinder.mail")

LEASE = timedelta(minutes=10)
BATCH = 20
UNSUBSCRIBE_PATH = "mail/unsubscribe"


def enqueue_mail(
    session: Session,
    *,
    template: str,
    to: str,
    language: str,
    context: dict[str, Any],
    user_id: int | None = None,
    essential: bool = True,
    kind: str | None = None,
) -> None:
    """Add one mail to the outbox in the caller's transaction (no commit, no I/O).

    `context` fills the template's placeholders (checked here, so a missing one fails in the
    caller's tests, not in the worker) and must be JSON. A non-essential mail (a notification)
    needs `user_id` and `kind` (its notification type): it gets a one-click unsubscribe for
    that type and counts towards the one-per-type-per-day digest.
    """
    tpl = get_template(template)
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    if not essential and (user_id is None or kind is None):
        raise ValueError("a non-essential mail needs user_id and kind (for unsubscribe)")
    if "@" not in to or any(c in to for c in "\r\n,<>") or len(to) > 254:
        raise ValueError("not a single plain email address")
    check_context(tpl, context)
    orjson.dumps(context)  # TypeError now rather than in the worker
    session.add(
        OutboxMail(
            user_id=user_id,
            to_address=to,
            template=template,
            language=language,
            context=dict(context),
            essential=essential,
            kind=kind,
            message_id=make_msgid(domain=_mail_domain(get_settings())),
            status=MailStatus.pending,
            next_attempt_at=clock.now(),
        )
    )


def forget_user(session: Session, *, user_id: int, partner_ids: set[int], name: str) -> None:
    """Account erasure (caller commits): my own queued mails go, and partners' queued mails
    that name me name `name` instead."""
    session.execute(delete(OutboxMail).where(col(OutboxMail.user_id) == user_id))
    if not partner_ids:
        return
    queued = session.scalars(
        select(OutboxMail).where(
            col(OutboxMail.user_id).in_(sorted(partner_ids)),
            col(OutboxMail.status).in_(("pending", "sending", "merged", "failed")),
        )
    )
    for mail in queued:
        if mail.context.get("partner_id") == user_id and "partner_name" in mail.context:
            mail.context = mail.context | {"partner_name": name}  # a new dict: marks it dirty
            session.add(mail)


def unsubscribe(session: Session, *, token: str) -> str:
    """One-click unsubscribe (RFC 8058): mail off for the type of the mail that carried this
    token; works once (commits). Returns the type; NotFound / Gone otherwise."""
    token_hash = hash_token(token)
    claimed = session.execute(
        update(OutboxMail)
        .where(
            col(OutboxMail.unsubscribe_token_hash) == token_hash,
            col(OutboxMail.unsubscribed_at).is_(None),
        )
        .values(unsubscribed_at=clock.now())
        .returning(col(OutboxMail.user_id), col(OutboxMail.kind))
    ).first()
    if claimed is None:
        used = session.scalar(
            select(col(OutboxMail.id)).where(col(OutboxMail.unsubscribe_token_hash) == token_hash)
        )
        session.rollback()
        raise Gone(UNSUBSCRIBE_USED) if used is not None else NotFound(UNSUBSCRIBE_UNKNOWN)
    user_id, kind = claimed
    assert user_id is not None and kind is not None
    set_mail_choices(session, user_id, {kind: False})
    session.commit()
    return str(kind)


def find_unsubscribe(session: Session, *, token: str) -> tuple[str, str]:
    """The type and language of an unused unsubscribe token (a read; for the GET page)."""
    row = session.execute(
        select(
            col(OutboxMail.kind), col(OutboxMail.language), col(OutboxMail.unsubscribed_at)
        ).where(col(OutboxMail.unsubscribe_token_hash) == hash_token(token))
    ).first()
    if row is None or row.kind is None:
        raise NotFound(UNSUBSCRIBE_UNKNOWN)
    if row.unsubscribed_at is not None:
        raise Gone(UNSUBSCRIBE_USED)
    return str(row.kind), str(row.language)


def _mail_domain(settings: Settings) -> str:
    address = parseaddr(settings.mail_from)[1]
    return address.rpartition("@")[2] or "jobtinder.localhost"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- Delivery ------------------------------------------------------------------------------


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    skipped: int = 0
    merged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.deferred + self.skipped

    def add(self, other: "DeliveryReport") -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.deferred += other.deferred
        self.skipped += other.skipped
        self.merged += other.merged
        self.errors += other.errors


def has_due(now: datetime | None = None) -> bool:
    """A cheap read, so that an idle loop never takes SQLite's write lock."""
    return claiming.has_due(OutboxMail, now)


def claim(*, limit: int = BATCH, now: datetime | None = None) -> list[int]:
    """Mark up to `limit` due mails as ours (`sending`, with a lease); their ids."""
    return claiming.claim(OutboxMail, limit=limit, lease=LEASE, now=now)


@dataclass(frozen=True, slots=True)
class Prepared:
    mail_id: int
    message: EmailMessage
    attempts: int


def deliver_due(*, limit: int = BATCH, settings: Settings | None = None) -> DeliveryReport:
    """One batch: claim, prepare, send, record. Safe to run in any number of processes."""
    settings = settings or get_settings()
    report = DeliveryReport()
    if not has_due():
        return report
    ids = claim(limit=limit)
    if not ids:
        return report
    with connect(settings) as connection:
        for index, mail_id in enumerate(ids):
            try:
                prepared = _prepare(mail_id, report)
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                # A bad template or context: this mail is retried and failed, never the
                # batch. (A database error propagates: the claims expire and are retried.)
                log.exception("mail %s could not be rendered", mail_id)
                _record_failure(mail_id, f"render: {type(exc).__name__}", settings, report)
                continue
            if prepared is None:
                continue
            try:
                _send(connection, prepared)
            except TransportDown as exc:
                # Nothing gets through: this mail and the rest of the batch wait, none fails.
                report.errors.append(str(exc))
                _release(ids[index:], str(exc), settings, report)
                log.warning("mail server unavailable, %d mail(s) wait: %s", len(ids) - index, exc)
                break
            except MailRejected as exc:
                report.errors.append(str(exc))
                _record_failure(mail_id, str(exc), settings, report)
            else:
                _mark_sent(mail_id, report)
    return report


def deliver_all(*, settings: Settings | None = None, max_batches: int = 1000) -> DeliveryReport:
    """Batches until nothing is due (or the server is down): the CLI's `--once`, and tests."""
    total = DeliveryReport()
    for _ in range(max_batches):
        report = deliver_due(settings=settings)
        total.add(report)
        if report.handled == 0 or report.errors and report.sent == 0:
            break
    return total


def _send(connection: Connection, prepared: Prepared) -> None:
    connection.send(prepared.message, mail_id=prepared.mail_id)


def _prepare(mail_id: int, report: DeliveryReport) -> Prepared | None:
    """Decide what this claimed mail becomes and build it (one transaction)."""
    now = clock.now()
    with new_session(write=True) as session:
        # Locked (PostgreSQL): a worker folding this mail into its digest waits, or skips it.
        mail = session.get(OutboxMail, mail_id, with_for_update=_is_postgresql(session))
        if mail is None or mail.status != "sending":
            session.rollback()
            return None
        user = session.get(User, mail.user_id) if mail.user_id is not None else None
        if mail.user_id is not None and (user is None or user.is_deleted):
            _finish(session, mail, MailStatus.skipped, now)
            report.skipped += 1
            return None
        contexts = [mail.context]
        unsubscribe_url: str | None = None
        if not mail.essential:
            assert mail.user_id is not None and mail.kind is not None
            if not mail_enabled(session, mail.user_id, mail.kind):
                _finish(session, mail, MailStatus.skipped, now)
                report.skipped += 1
                return None
            if get_template(mail.template).is_digest:
                if not _take_digest_slot(session, mail, now):
                    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time())
                    mail.status = MailStatus.pending
                    mail.claimed_until = None
                    mail.next_attempt_at = tomorrow.replace(tzinfo=now.tzinfo)
                    session.add(mail)
                    session.commit()
                    report.deferred += 1
                    return None
                report.merged += _fold_siblings(session, mail)
                contexts += [
                    m.context
                    for m in session.scalars(
                        select(OutboxMail)
                        .where(col(OutboxMail.merged_into) == mail.id)
                        .order_by(col(OutboxMail.id))
                    )
                ]
            token = secrets.token_urlsafe(32)
            mail.unsubscribe_token_hash = hash_token(token)
            unsubscribe_url = links.api_link(UNSUBSCRIBE_PATH, token=token)
        rendered = render(mail.template, mail.language, contexts, unsubscribe_url=unsubscribe_url)
        message = build_message(
            rendered=rendered,
            to=mail.to_address,
            message_id=mail.message_id,
            unsubscribe_url=unsubscribe_url,
        )
        attempts = mail.attempts
        session.add(mail)
        session.commit()
        return Prepared(mail_id=mail_id, message=message, attempts=attempts)


def _take_digest_slot(session: Session, mail: OutboxMail, now: datetime) -> bool:
    """Today's slot for this user and type: ours if we insert it or already hold it."""
    assert mail.user_id is not None and mail.kind is not None and mail.id is not None
    day = now.date().isoformat()
    statement = conflict_insert(session, MailDigestSlot).values(
        user_id=mail.user_id, kind=mail.kind, day=day, mail_id=mail.id
    )
    session.execute(statement.on_conflict_do_nothing(index_elements=["user_id", "kind", "day"]))
    holder = session.scalar(
        select(col(MailDigestSlot.mail_id)).where(
            col(MailDigestSlot.user_id) == mail.user_id,
            col(MailDigestSlot.kind) == mail.kind,
            col(MailDigestSlot.day) == day,
        )
    )
    return holder == mail.id


def _fold_siblings(session: Session, mail: OutboxMail) -> int:
    """The other queued mails of this user and type join this one's digest: pending ones,
    and claimed ones whose worker has not prepared them yet (it will find them merged; one
    it is preparing right now is locked and skipped, and waits for the next day's slot)."""
    query = select(OutboxMail).where(
        col(OutboxMail.user_id) == mail.user_id,
        col(OutboxMail.kind) == mail.kind,
        col(OutboxMail.status).in_(("pending", "sending")),
        col(OutboxMail.essential).is_(False),
        col(OutboxMail.template) == mail.template,
        col(OutboxMail.id) != mail.id,
    )
    if _is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    folded = 0
    for sibling in session.scalars(query):
        sibling.status = MailStatus.merged
        sibling.merged_into = mail.id
        session.add(sibling)
        folded += 1
    return folded


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _finish(session: Session, mail: OutboxMail, status: MailStatus, now: datetime) -> None:
    mail.status = status
    mail.claimed_until = None
    mail.sent_at = now if status == MailStatus.sent else None
    session.add(mail)
    session.commit()


def _mark_sent(mail_id: int, report: DeliveryReport) -> None:
    now = clock.now()
    with new_session(write=True) as session:
        # The context may hold a one-time link: once sent, it is not kept.
        session.execute(
            update(OutboxMail)
            .where(col(OutboxMail.id) == mail_id)
            .values(status="sent", sent_at=now, claimed_until=None, context={}, last_error=None)
        )
        session.execute(
            update(OutboxMail)
            .where(col(OutboxMail.merged_into) == mail_id)
            .values(sent_at=now, context={})
        )
        session.commit()
    report.sent += 1


backoff = claiming.backoff


def _record_failure(mail_id: int, error: str, settings: Settings, report: DeliveryReport) -> None:
    now = clock.now()
    with new_session(write=True) as session:
        mail = session.get(OutboxMail, mail_id)
        if mail is None:
            return
        mail.attempts += 1
        mail.rejections += 1
        mail.last_error = error[:500]
        mail.claimed_until = None
        if mail.rejections >= settings.mail_max_attempts:
            mail.status = MailStatus.failed
            report.failed += 1
            log.error("mail %s failed after %d attempts: %s", mail_id, mail.attempts, error)
        else:
            mail.status = MailStatus.pending
            mail.next_attempt_at = now + backoff(mail.attempts, settings)
            report.retried += 1
        session.add(mail)
        session.commit()


def _release(ids: list[int], error: str, settings: Settings, report: DeliveryReport) -> None:
    """The server is unreachable: back to pending with backoff, never failed for it."""
    now = clock.now()
    with new_session(write=True) as session:
        for mail in session.scalars(select(OutboxMail).where(col(OutboxMail.id).in_(ids))):
            if mail.status != "sending":
                continue
            mail.attempts += 1
            mail.last_error = error[:500]
            mail.status = MailStatus.pending
            mail.claimed_until = None
            mail.next_attempt_at = now + backoff(mail.attempts, settings)
            session.add(mail)
            report.retried += 1
        session.commit()
