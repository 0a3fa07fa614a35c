"""The main flow of Job Tinder, written with the generated Python client as an app would use it.

Imported by tests/test_python_client.py once the generated package `jobtinder_client` is on
sys.path (it is generated into a temporary directory, never committed).
"""

import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from jobtinder_client import AuthenticatedClient, Client
from jobtinder_client.api.account import (
    auth_refresh,
    auth_register,
    auth_token,
    auth_verify_email,
    me_delete,
    me_export_read,
    me_read,
)
from jobtinder_client.api.feed import feed_list, me_swipes_list, swipes_create
from jobtinder_client.api.matches import matches_confirm, matches_exit, matches_list, matches_read
from jobtinder_client.api.messages import (
    matches_messages_create,
    matches_messages_list,
    matches_messages_read,
)
from jobtinder_client.api.notifications import (
    me_unread_read,
    notifications_list,
    notifications_read,
    notifications_read_all,
)
from jobtinder_client.api.profile import me_profile_replace, me_profile_update, profiles_read
from jobtinder_client.api.trajectory import (
    matches_evaluations_create,
    matches_evaluations_list,
    matches_meetings_create,
    matches_meetings_list,
    matches_plan_read,
    matches_plan_replace,
    matches_progress_read,
)
from jobtinder_client.api.vocabulary import vocabulary_read
from jobtinder_client.models import (
    AuthTokenForm,
    Contact,
    Decision,
    ExitIn,
    MatchActiveNotification,
    MatchCreatedNotification,
    MatchEndedNotification,
    MatchOut,
    MatchStatus,
    MeetingIn,
    MessageIn,
    MidtermIn,
    PartnerConfirmedNotification,
    PlanIn,
    Problem,
    ProfilePatch,
    ProfilePut,
    ReadIn,
    RefreshIn,
    RegisterIn,
    Side,
    SwipeIn,
    VerifyEmailIn,
    Weights,
)
from jobtinder_client.types import Response, Unset

from tests.smtp_server import Inbox

PASSWORD = "een-lange-geheime-zin"
T = TypeVar("T")


def ok(response: Response[Any], status: int = 200) -> Any:
    """The parsed body of a response that must have this status."""
    assert response.status_code == status, (response.status_code, response.content)
    return response.parsed


def problem(response: Response[Any], status: int, code: str) -> Problem:
    """A problem+json answer with this status and code, parsed into the generated Problem."""
    assert response.status_code == status, (response.status_code, response.content)
    assert response.headers["content-type"].startswith("application/problem+json")
    parsed = response.parsed
    assert isinstance(parsed, Problem), parsed
    assert parsed.status == status and parsed.code == code, parsed
    return parsed


@dataclass
class Person:
    id: int
    email: str
    name: str
    client: AuthenticatedClient
    refresh_token: str


def verification_token(inbox: Inbox, address: str) -> str:
    """The token in the link of the verification mail that reached this address."""
    deadline = time.monotonic() + 30
    while not inbox.to(address):
        assert time.monotonic() < deadline, f"no mail reached {address}"
        time.sleep(0.1)
    (mail,) = inbox.to(address)
    link = re.search(r"https://jobtinder\.example/\S*[?&]token=([\w.~-]+)", mail.part("plain"))
    assert link, mail.part("plain")
    return link.group(1)


def log_in(anonymous: Client, email: str) -> tuple[str, str]:
    tokens = ok(
        auth_token.sync_detailed(
            client=anonymous,
            body=AuthTokenForm(username=email, password=PASSWORD, device_name="pytest"),
        )
    )
    assert tokens.token_type == "bearer" and tokens.expires_in > 0
    return tokens.access_token, tokens.refresh_token


def join(base: str, anonymous: Client, inbox: Inbox, side: Side, name: str, email: str) -> Person:
    """Register, log in, verify the address from the mail: a participant without a profile."""
    user = ok(
        auth_register.sync_detailed(
            client=anonymous,
            body=RegisterIn(email=email, password=PASSWORD, name=name, side=side),
        ),
        201,
    )
    assert (user.email, user.name, user.side, user.role) == (email, name, side, "participant")
    access, refresh = log_in(anonymous, email)
    person = Person(user.id, email, name, AuthenticatedClient(base, token=access), refresh)
    # Unverified: may log in, not browse the feed.
    problem(feed_list.sync_detailed(client=person.client), 403, "email_not_verified")
    token = verification_token(inbox, email)
    verified = ok(auth_verify_email.sync_detailed(client=anonymous, body=VerifyEmailIn(token)))
    assert verified.email == email
    me = ok(me_read.sync_detailed(client=person.client))
    assert me.email_verified is True and me.profile is None
    return person


def teacher_profile() -> ProfilePut:
    return ProfilePut(
        headline="Docent natuurkunde",
        organisation="Erasmiaans Gymnasium",
        organisation_type="gymnasium",
        subjects=["natuurkunde"],
        education="Lerarenopleiding natuurkunde (master)",
        place="rotterdam",
        hours_per_month=8,
        available_months=[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        goals=["practice_in_lessons", "hybrid_career"],
        outcomes=["richer_experience"],
        contact=Contact(email="f.elamrani@example.org", phone="+31 6 12345678"),
        weights=Weights(subject=0.4, motivation=0.2, region=0.2, availability=0.2),
    )


def professional_profile(organisation: str, phone: str) -> ProfilePut:
    return ProfilePut(
        headline="Ingenieur tramonderhoud",
        organisation=organisation,
        organisation_type="openbaar_vervoer",
        subjects=["werktuigbouwkunde", "transporttechniek"],
        place="rotterdam",
        hours_per_month=8,
        available_months=[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        goals=["teach_pupils_my_field", "hybrid_career"],
        outcomes=["richer_experience"],
        contact=Contact(email=f"contact@{organisation.lower()}.example", phone=phone),
    )


def feed_ids(person: Person) -> list[int]:
    page = ok(feed_list.sync_detailed(client=person.client, limit=100))
    for item in page.items:
        assert 0 <= item.score <= 1 and item.reasons, item
        assert isinstance(item.profile.contact, Unset) or item.profile.contact is None
    return [item.profile.id for item in page.items]


def like(person: Person, target: Person, status: int = 201) -> MatchOut | None:
    swipe = ok(
        swipes_create.sync_detailed(
            client=person.client, body=SwipeIn(target_id=target.id, decision=Decision.LIKE)
        ),
        status,
    )
    assert swipe.target_id == target.id and swipe.decision == Decision.LIKE
    match: MatchOut | None = swipe.match
    return match


def notifications(person: Person, kind: type[T]) -> list[T]:
    page = ok(notifications_list.sync_detailed(client=person.client, limit=100))
    assert page.next_cursor is None
    return [item for item in page.items if isinstance(item, kind)]


def unread(person: Person) -> int:
    count: int = ok(me_unread_read.sync_detailed(client=person.client)).notifications
    return count


def main_flow(base: str, inbox: Inbox) -> None:
    anonymous = Client(base)
    today = datetime.now(UTC).date()

    vocabulary = ok(vocabulary_read.sync_detailed(client=anonymous))
    assert "natuurkunde" in {subject.code for subject in vocabulary.subjects}
    assert "no_time" in {reason.code for reason in vocabulary.exit_reasons}

    # --- Both sides join -----------------------------------------------------------------
    fatima = join(base, anonymous, inbox, Side.TEACHER, "Fatima El Amrani", "fatima@example.org")
    sem = join(base, anonymous, inbox, Side.PROFESSIONAL, "Sem de Boer", "sem@example.org")
    daan = join(base, anonymous, inbox, Side.PROFESSIONAL, "Daan Visser", "daan@example.org")

    problem(feed_list.sync_detailed(client=fatima.client), 409, "profile_incomplete")
    own = ok(me_profile_replace.sync_detailed(client=fatima.client, body=teacher_profile()))
    assert own.complete is True and own.contact.phone == "+31 6 12345678"
    ok(
        me_profile_replace.sync_detailed(
            client=sem.client, body=professional_profile("RET", "+31 10 123 4567")
        )
    )
    ok(
        me_profile_replace.sync_detailed(
            client=daan.client, body=professional_profile("HTM", "+31 70 765 4321")
        )
    )
    patched = ok(
        me_profile_update.sync_detailed(
            client=sem.client, body=ProfilePatch(bio="Ik onderhoud trams en leid monteurs op.")
        )
    )
    assert (
        patched.bio == "Ik onderhoud trams en leid monteurs op." and patched.organisation == "RET"
    )

    # --- Feed and a mutual like ----------------------------------------------------------
    assert set(feed_ids(fatima)) == {sem.id, daan.id}
    card = ok(profiles_read.sync_detailed(sem.id, client=fatima.client))
    assert card.name == "Sem de Boer" and card.bio == patched.bio
    assert isinstance(card.contact, Unset) or card.contact is None  # not matched yet

    assert like(fatima, sem) is None
    assert like(fatima, sem, status=200) is None  # the same swipe again: a safe retry
    problem(
        swipes_create.sync_detailed(
            client=fatima.client, body=SwipeIn(target_id=sem.id, decision=Decision.PASS)
        ),
        409,
        "swipe_conflict",
    )
    mine = ok(me_swipes_list.sync_detailed(client=fatima.client))
    assert [(s.target_id, s.decision) for s in mine.items] == [(sem.id, Decision.LIKE)]
    assert sem.id not in feed_ids(fatima)

    assert fatima.id in feed_ids(sem)
    match = like(sem, fatima)
    assert match is not None and match.status == MatchStatus.TRIAL
    assert match.partner.id == fatima.id and match.partner.contact.phone == "+31 6 12345678"
    match_id = match.id

    (created,) = notifications(fatima, MatchCreatedNotification)
    assert created.type_ == "match_created" and created.read is False
    assert (created.data.match_id, created.data.partner_id) == (match_id, sem.id)
    assert created.data.partner_name == "Sem de Boer"
    seen = ok(matches_read.sync_detailed(match_id, client=fatima.client))
    assert (
        seen.partner.name == "Sem de Boer" and seen.partner.contact.email == "contact@ret.example"
    )
    assert [m.id for m in ok(matches_list.sync_detailed(client=sem.client)).items] == [match_id]

    # --- Confirm after the trial: active -------------------------------------------------
    first = ok(matches_confirm.sync_detailed(match_id, client=fatima.client))
    assert first.status == MatchStatus.TRIAL
    assert (first.confirmed_by_me, first.confirmed_by_partner) == (True, False)
    (confirmed,) = notifications(sem, PartnerConfirmedNotification)
    assert confirmed.data.match_id == match_id and confirmed.read is False
    both = ok(matches_confirm.sync_detailed(match_id, client=sem.client))
    assert both.status == MatchStatus.ACTIVE and both.confirmed_by_partner is True
    for person in (fatima, sem):
        (active,) = notifications(person, MatchActiveNotification)
        assert active.data.match_id == match_id
    assert ok(matches_read.sync_detailed(match_id, client=fatima.client)).status == "active"

    # --- A message, its retry, the partner's unread badge and read receipt ----------------
    hello = MessageIn(body="Zullen we donderdag bellen?", client_id="c0ffee00-0000-4000-8000-1")
    sent = ok(
        matches_messages_create.sync_detailed(match_id, client=fatima.client, body=hello), 201
    )
    again = matches_messages_create.sync_detailed(match_id, client=fatima.client, body=hello)
    assert ok(again).id == sent.id  # a retry with the same client_id: the stored message
    badge = ok(me_unread_read.sync_detailed(client=sem.client))
    assert badge.messages == 1 and [(m.match_id, m.unread) for m in badge.matches] == [
        (match_id, 1)
    ]
    (received,) = ok(matches_messages_list.sync_detailed(match_id, client=sem.client)).items
    assert (received.body, received.mine, received.sender_id) == (hello.body, False, fatima.id)
    ok(matches_messages_read.sync_detailed(match_id, client=sem.client, body=ReadIn(sent.id)))
    assert ok(me_unread_read.sync_detailed(client=sem.client)).messages == 0

    # --- Plan, meeting, progress ---------------------------------------------------------
    default = ok(matches_plan_read.sync_detailed(match_id, client=sem.client))
    assert default.stored is False
    plan = ok(
        matches_plan_replace.sync_detailed(
            match_id,
            client=fatima.client,
            body=PlanIn(
                start_date=today,
                planned_end=_months_later(today, 4),
                hours_target=20,
                planned_meetings=7,
                joint_goals=["Een gastles over onderhoud van trams voor 4 havo"],
                my_goals=["practice_in_lessons"],
                planned_activities=["intake", "workplace_visit", "guest_lesson"],
            ),
        )
    )
    assert plan.stored is True and plan.updated_by_id == fatima.id
    theirs = ok(matches_plan_read.sync_detailed(match_id, client=sem.client))
    assert theirs.joint_goals == ["Een gastles over onderhoud van trams voor 4 havo"]
    assert theirs.partner_goals == ["practice_in_lessons"] and theirs.planned_meetings == 7

    meeting = ok(
        matches_meetings_create.sync_detailed(
            match_id,
            client=sem.client,
            body=MeetingIn(date=today, hours=2.5, activity="workplace_visit", note="Rondleiding"),
        ),
        201,
    )
    assert meeting.logged_by_me is True
    (logged,) = ok(matches_meetings_list.sync_detailed(match_id, client=fatima.client)).items
    assert (logged.date, logged.hours, logged.activity) == (today, 2.5, "workplace_visit")
    assert logged.logged_by_me is False
    progress = ok(matches_progress_read.sync_detailed(match_id, client=fatima.client))
    assert (progress.hours_logged, progress.meetings, progress.hours_target) == (2.5, 1, 20)
    assert progress.on_track is True  # the first 14 days always are

    # --- Evaluation ----------------------------------------------------------------------
    midterm = MidtermIn(
        kind="midterm",
        satisfaction=4,
        personal_click=5,
        professional_click=3,
        different_types=2,
        match_importance=4,
        confidence=4,
    )
    filed = ok(
        matches_evaluations_create.sync_detailed(match_id, client=fatima.client, body=midterm),
        201,
    )
    assert filed.kind == "midterm" and filed.mine is True and filed.answers.satisfaction == 4
    problem(
        matches_evaluations_create.sync_detailed(match_id, client=fatima.client, body=midterm),
        409,
        "evaluation_filed",
    )
    # Sem sees the four slots (each partner's midterm and final): Fatima's midterm is filed,
    # without its answers (those are for the author and coordinators).
    slots = ok(matches_evaluations_list.sync_detailed(match_id, client=sem.client)).items
    assert [(e.author_id, e.kind) for e in slots if e.filed] == [(fatima.id, "midterm")]
    (partner_view,) = [e for e in slots if e.filed]
    assert partner_view.mine is False and partner_view.answers is None

    # --- Notifications: read one, then all -----------------------------------------------
    assert unread(sem) == 3  # match_created, partner_confirmed, match_active
    (sems_created,) = notifications(sem, MatchCreatedNotification)
    ok(notifications_read.sync_detailed(sems_created.id, client=sem.client), 204)
    assert unread(sem) == 2
    assert notifications(sem, MatchCreatedNotification)[0].read is True
    ok(notifications_read_all.sync_detailed(client=sem.client), 204)
    assert unread(sem) == 0

    # --- Exit with a body: the partner sees neither reason nor note ----------------------
    note = "Te druk op school dit halfjaar."
    ended = ok(
        matches_exit.sync_detailed(
            match_id, client=fatima.client, body=ExitIn(reason="no_time", note=note)
        )
    )
    assert ended.status == MatchStatus.ENDED and ended.ended_at is not None
    partner_side = matches_read.sync_detailed(match_id, client=sem.client)
    assert ok(partner_side).status == MatchStatus.ENDED
    assert b"no_time" not in partner_side.content and note.encode() not in partner_side.content
    (ended_note,) = notifications(sem, MatchEndedNotification)
    assert ended_note.data.match_id == match_id and ended_note.read is False
    listed = notifications_list.sync_detailed(client=sem.client)
    assert b"no_time" not in listed.content and note.encode() not in listed.content
    problem(matches_exit.sync_detailed(match_id, client=sem.client), 409, "match_not_ongoing")

    # --- A second match, left without a body ---------------------------------------------
    assert daan.id in feed_ids(fatima) and sem.id not in feed_ids(fatima)
    assert like(fatima, daan) is None
    second = like(daan, fatima)
    assert second is not None and second.status == MatchStatus.TRIAL
    left = ok(matches_exit.sync_detailed(second.id, client=daan.client))  # no body at all
    assert left.status == MatchStatus.ENDED
    assert ok(matches_read.sync_detailed(second.id, client=fatima.client)).status == "ended"
    assert {n.data.match_id for n in notifications(fatima, MatchEndedNotification)} == {second.id}

    # --- Refresh: rotation; a retry gets the same pair, a replay later ends the login ------
    def refresh(token: str) -> Response[Any]:
        return auth_refresh.sync_detailed(client=anonymous, body=RefreshIn(refresh_token=token))

    first_pair = ok(refresh(fatima.refresh_token))
    assert first_pair.refresh_token != fatima.refresh_token
    assert ok(refresh(fatima.refresh_token)).refresh_token == first_pair.refresh_token  # a retry
    second_pair = ok(refresh(first_pair.refresh_token))
    fatima.client = AuthenticatedClient(base, token=second_pair.access_token)
    assert ok(me_read.sync_detailed(client=fatima.client)).id == fatima.id
    # The first token once more, after its successor was used: it leaked, the login ends.
    problem(refresh(fatima.refresh_token), 401, "refresh_token_invalid")
    problem(me_read.sync_detailed(client=fatima.client), 401, "not_authenticated")
    fatima.client = AuthenticatedClient(base, token=log_in(anonymous, fatima.email)[0])

    # --- Export: everything stored about me, typed ---------------------------------------
    export = ok(me_export_read.sync_detailed(client=fatima.client))
    assert export.account.email == fatima.email and export.profile.headline == "Docent natuurkunde"
    assert (
        export.profile.contact.phone == "+31 6 12345678" and export.profile.weights.subject == 0.4
    )
    assert {m.id for m in export.matches} == {match_id, second.id}
    assert {(s.target_id, s.decision) for s in export.swipes} == {
        (sem.id, "like"),
        (daan.id, "like"),
    }
    assert [(m.hours, m.activity) for m in export.meetings] == [(2.5, "workplace_visit")]
    assert [e.kind for e in export.evaluations] == ["midterm"]
    assert {type(n).__name__ for n in export.notifications} >= {
        "MatchCreatedNotification",
        "MatchActiveNotification",
        "MatchEndedNotification",
    }

    # --- Erase: login stops, the partner keeps a 'former participant' history ------------
    ok(me_delete.sync_detailed(client=sem.client), 204)
    problem(me_read.sync_detailed(client=sem.client), 401, "not_authenticated")
    problem(
        auth_token.sync_detailed(
            client=anonymous, body=AuthTokenForm(username=sem.email, password=PASSWORD)
        ),
        401,
        "bad_credentials",
    )
    history = ok(matches_read.sync_detailed(match_id, client=fatima.client))
    assert history.status == MatchStatus.ENDED and history.partner.name == "former participant"
    named = {
        n.data.match_id: n.data.partner_name
        for n in notifications(fatima, MatchCreatedNotification)
    }
    assert named == {match_id: "former participant", second.id: "Daan Visser"}
    problem(profiles_read.sync_detailed(sem.id, client=fatima.client), 404, "not_found")


def _months_later(day: date, months: int) -> date:
    """About `months` months later (30-day months keep it within the plan's 3–6 month rule)."""
    return day + timedelta(days=30 * months)
