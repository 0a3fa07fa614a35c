"""The feature store's freshness is kept by the session itself (app/models/freshness.py).

Each API process ranks from features held in memory and re-reads only what the database says
changed. These tests change profiles and verifications in ways no service wrote, directly
through a session of their own, and show that the feed (this process's, and every worker's
of a real server) sees the change at once: nothing a writer could forget to do by hand.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select, update
from sqlmodel import Session

from app import clock
from app.db import get_engine
from app.models import FeatureVersion, Profile, User
from app.services import feed
from app.services.feature_store import store
from tests.conftest import API, COMPLETE_PROFILE, Person
from tests.live import register_participant, run_server
from tests.utils import feed_ids

FAR_AWAY = "groningen"  # far beyond the 30 km a Rotterdam teacher travels by default


def change(*statements: Any) -> None:
    """Run statements through a session of their own and commit, as another writer would."""
    with Session(get_engine()) as session:
        for statement in statements:
            session.execute(statement)
        session.commit()


def stored_profile(user_id: int) -> Profile:
    with Session(get_engine()) as session:
        profile = session.get(Profile, user_id)
        assert profile is not None
        return profile


def versions() -> dict[str, int]:
    with Session(get_engine()) as session:
        return {v.side: v.version for v in session.scalars(select(FeatureVersion))}


@pytest.fixture
def browsing(client: TestClient, make_participant: Any) -> tuple[Person, list[Person]]:
    """A teacher whose feed shows three professionals, its features warm in this process."""
    teacher = make_participant("teacher")
    pros = [make_participant("professional") for _ in range(3)]
    assert sorted(feed_ids(client, teacher)) == sorted(p.id for p in pros)
    return teacher, pros


def test_a_direct_update_of_a_profile_reaches_the_feed(client, browsing):
    teacher, pros = browsing
    before = stored_profile(pros[0].id).updated_at
    bumped = versions()["professional"]

    change(update(Profile).where(Profile.user_id == pros[0].id).values(place=FAR_AWAY))

    assert sorted(feed_ids(client, teacher)) == sorted(p.id for p in pros[1:])
    assert clock.as_utc(stored_profile(pros[0].id).updated_at) > clock.as_utc(before)
    assert versions()["professional"] > bumped


def test_a_changed_object_committed_without_any_service_reaches_the_feed(
    client, make_participant, browsing
):
    teacher, pros = browsing
    paused = make_participant("professional", discoverable=False)
    assert paused.id not in feed_ids(client, teacher)

    with Session(get_engine()) as session:
        profile = session.get(Profile, paused.id)
        assert profile is not None
        profile.discoverable = True
        session.add(profile)
        session.commit()

    assert paused.id in feed_ids(client, teacher)


def test_a_profile_inserted_by_statement_reaches_the_feed(client, make_participant, browsing):
    teacher, pros = browsing
    newcomer = make_participant("professional", profile=False)

    fields = Profile(user_id=newcomer.id, side="professional", **COMPLETE_PROFILE["professional"])
    row = fields.model_dump() | {"region": "rotterdam", "complete": True}
    change(insert(Profile).values(**row))

    assert newcomer.id in feed_ids(client, teacher)


def test_a_verification_by_statement_reaches_the_feed(client, make_participant, browsing):
    teacher, pros = browsing
    unverified = make_participant("professional", verified=False)
    assert unverified.id not in feed_ids(client, teacher)

    change(update(User).where(User.id == unverified.id).values(email_verified_at=clock.now()))

    assert unverified.id in feed_ids(client, teacher)


def test_a_profile_deleted_by_statement_leaves_every_feed(client, make_participant, browsing):
    teacher, pros = browsing
    other_teacher = make_participant("teacher")
    assert pros[0].id in feed_ids(client, other_teacher)
    deletions = _deletions()

    change(delete(Profile).where(Profile.user_id == pros[0].id))

    assert _deletions()["professional"] == deletions["professional"] + 1
    assert _deletions().get("teacher", 0) == deletions.get("teacher", 0)
    assert sorted(feed_ids(client, teacher)) == sorted(p.id for p in pros[1:])


def feed_cards(client: TestClient, who: Person) -> dict[int, dict[str, Any]]:
    response = client.get(f"{API}/feed", headers=who.headers)
    assert response.status_code == 200, response.text
    return {item["profile"]["id"]: item["profile"] for item in response.json()["items"]}


def test_a_card_changed_by_statement_reaches_the_feed(client, browsing):
    """Once shown, a card is kept in this process's memory (`feature_store.Card`); a change
    that no service made is on the next page all the same."""
    teacher, pros = browsing
    assert feed_cards(client, teacher)[pros[0].id]["headline"] != "Nieuwe kop"

    change(
        update(Profile)
        .where(Profile.user_id == pros[0].id)
        .values(headline="Nieuwe kop", bio="Nieuwe tekst")
    )

    card = feed_cards(client, teacher)[pros[0].id]
    assert (card["headline"], card["bio"]) == ("Nieuwe kop", "Nieuwe tekst")


def test_a_new_name_reaches_the_feed(client, browsing):
    """The owner's name is on the card: renaming counts as a change of the profile, by
    statement and through the unit of work."""
    teacher, pros = browsing
    feed_cards(client, teacher)

    change(update(User).where(User.id == pros[0].id).values(name="Nieuwe Naam"))
    with Session(get_engine()) as session:
        user = session.get(User, pros[1].id)
        assert user is not None
        user.name = "Andere Naam"
        session.add(user)
        session.commit()

    cards = feed_cards(client, teacher)
    assert (cards[pros[0].id]["name"], cards[pros[1].id]["name"]) == (
        "Nieuwe Naam",
        "Andere Naam",
    )


def test_a_card_read_before_a_change_is_not_kept(client, browsing):
    """A page read a card from the database; before it kept the card, another writer changed
    the profile and a refresh brought the features up to date. The old card must not be kept
    (`SideFeatures.remember`): the next page shows the change."""
    teacher, pros = browsing
    with Session(get_engine()) as session:
        features = store.side(session, "professional")
        version = features.version[0]
        rows = session.execute(feed._PAGE, {"ids": [pros[0].id]}).all()  # the card as it was

    change(update(Profile).where(Profile.user_id == pros[0].id).values(headline="Daarna"))
    assert feed_cards(client, teacher)[pros[0].id]["headline"] == "Daarna"  # the refresh
    feed._read_cards(features, version, rows)  # the slow page comes back

    assert feed_cards(client, teacher)[pros[0].id]["headline"] == "Daarna"


def test_a_card_read_in_a_snapshot_older_than_the_features_is_not_kept(client, browsing):
    """A request reads the side's version, then (in the same transaction: on SQLite, the same
    snapshot) its cards; meanwhile another writer changed a profile and another request's
    refresh dropped that card. The features the first request finds are already newer than
    its snapshot: its card must not be kept."""
    teacher, pros = browsing
    with Session(get_engine()) as session:
        me = session.connection().execute(feed._VIEWER, feed._params(teacher.id)).one()
        read = (int(me.version), int(me.deletions), int(me.prices))

        change(update(Profile).where(Profile.user_id == pros[0].id).values(headline="Daarna"))
        with Session(get_engine()) as other:  # another request's refresh drops the card
            store.side(other, "professional")

        features = store.side(session, "professional", version=read)
        _, missing = feed._cards(features, [pros[0].id])
        assert missing == [pros[0].id]
        rows = session.connection().execute(feed._PAGE, {"ids": missing}).all()
        feed._read_cards(features, read[0], rows)

    assert feed_cards(client, teacher)[pros[0].id]["headline"] == "Daarna"


def test_a_card_is_read_again_after_a_while(client, browsing, monkeypatch):
    """A change that no refresh saw (here: a statement that bypasses the session, as the
    module's docstring says such a writer must not) still reaches the card within
    CARD_SECONDS."""
    teacher, pros = browsing
    feed_cards(client, teacher)
    with get_engine().begin() as connection:  # no version bump: invisible to the refresh
        connection.execute(
            update(Profile).where(Profile.user_id == pros[0].id).values(headline="Later")
        )
    assert feed_cards(client, teacher)[pros[0].id]["headline"] != "Later"  # kept

    monkeypatch.setattr(feed, "CARD_SECONDS", -1.0)  # as if they had passed

    assert feed_cards(client, teacher)[pros[0].id]["headline"] == "Later"


def _deletions() -> dict[str, int]:
    with Session(get_engine()) as session:
        return {v.side: v.deletions for v in session.scalars(select(FeatureVersion))}


# --- every process ------------------------------------------------------------------------

WORKERS = 3


@pytest.fixture
def server(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with run_server(tmp_path / "server.log", workers=WORKERS) as base:
        yield base


@pytest.mark.concurrency
def test_every_process_sees_a_direct_update_at_once(server: str) -> None:
    with httpx.Client(base_url=server, timeout=30) as http:
        teacher = register_participant(http, "teacher", "fresh-1")
        pros = [register_participant(http, "professional", f"fresh-{2 + n}") for n in range(3)]

        def feed() -> dict[int, str]:
            response = http.get(f"{API}/feed", headers=teacher["headers"])
            assert response.status_code == 200, response.text
            return {i["profile"]["id"]: i["profile"]["headline"] for i in response.json()["items"]}

        for _ in range(3 * WORKERS):  # warm every worker's features and cards
            assert set(feed()) == {p["id"] for p in pros}
        stamp: datetime = clock.now()
        change(
            update(Profile).where(Profile.user_id == pros[0]["id"]).values(place=FAR_AWAY),
            update(Profile)
            .where(Profile.user_id == pros[1]["id"])
            .values(hours_per_month=None, complete=False),
            update(Profile).where(Profile.user_id == pros[2]["id"]).values(headline="Vers"),
        )
        for _ in range(3 * WORKERS):  # whichever worker answers
            assert feed() == {pros[2]["id"]: "Vers"}
        assert clock.as_utc(stored_profile(pros[0]["id"]).updated_at) >= stamp
