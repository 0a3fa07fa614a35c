"""Accept-Language: Dutch (default) or English for feed reasons, problem texts and
notification texts; a stored preference wins for what is sent to a user."""

from types import SimpleNamespace

import pytest

from app.config import get_settings
from app.i18n import for_user, negotiate
from app.schemas.notifications import NOTIFICATION_TYPES, TEXTS
from tests.conftest import API, mutual_match

EN = {"Accept-Language": "en-GB,en;q=0.9"}
NL = {"Accept-Language": "nl-NL"}


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "nl"),
        ("", "nl"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("nl-BE", "nl"),
        ("de-DE, fr;q=0.8", "nl"),
        ("en;q=0.5, nl;q=0.8", "nl"),
        ("nl;q=0.5, en;q=0.8", "en"),
        ("en;q=0, *;q=0.1", "nl"),
        ("en;q=bad", "nl"),
    ],
)
def test_negotiation(header, language):
    assert negotiate(header) == language


def test_the_request_language_wins_then_the_stored_one():
    # users.language (main's mail language, default nl) is stored for everyone: a request that
    # names one of our languages gets it; one that names none gets the stored language.
    assert for_user(SimpleNamespace(language="en"), "nl") == "nl"
    assert for_user(SimpleNamespace(language="nl"), "en") == "en"
    assert for_user(SimpleNamespace(language="en"), None) == "en"
    assert for_user(SimpleNamespace(language="en"), "de") == "en"
    assert for_user(SimpleNamespace(), "en") == "en"
    assert for_user(SimpleNamespace(language="fr"), None) == "nl"


def test_my_stored_language_gives_my_notification_texts(client, make_participant):
    teacher, pro = make_participant("teacher"), make_participant("professional")
    mutual_match(client, teacher, pro)
    chosen = client.put(
        f"{API}/me/notification-settings", json={"language": "en"}, headers=teacher.headers
    )
    assert chosen.status_code == 200, chosen.text
    mine = client.get(f"{API}/notifications", headers=teacher.headers).json()["items"][0]
    assert mine["text"] == f"You have a match with {pro.name}! Your trial period has started."
    asked = client.get(f"{API}/notifications", headers=teacher.headers | NL).json()["items"][0]
    assert asked["text"].startswith("Je hebt een match")


def test_feed_reasons_follow_accept_language(client, make_participant):
    viewer = make_participant("teacher")
    make_participant("professional")
    dutch = client.get(f"{API}/feed", headers=viewer.headers).json()["items"][0]
    english = client.get(f"{API}/feed", headers=viewer.headers | EN).json()["items"][0]
    assert dutch["profile"]["id"] == english["profile"]["id"]
    assert dutch["score"] == english["score"]
    assert any("Jullie" in r or "Beiden" in r or "km van elkaar" in r for r in dutch["reasons"])
    text = " ".join(english["reasons"])
    assert not any(word in text for word in ("Jullie", "Beiden", "elkaar", "regio "))
    assert any(word in text for word in ("You", "Both", "km apart", "connects"))
    explicit = client.get(f"{API}/feed", headers=viewer.headers | NL).json()["items"][0]
    assert explicit["reasons"] == dutch["reasons"]


def test_problem_texts_follow_accept_language(client, make_participant):
    person = make_participant("teacher")
    dutch = client.get(f"{API}/matches/12345", headers=person.headers).json()
    english = client.get(f"{API}/matches/12345", headers=person.headers | EN).json()
    assert (dutch["code"], dutch["type"]) == (english["code"], english["type"])
    assert dutch["title"] == "Niet gevonden" and english["title"] == "Not found"
    assert dutch["detail"] != english["detail"]
    too_large = client.post(
        f"{API}/auth/register",
        content=b"{" + b" " * (get_settings().max_body_bytes + 10) + b"}",
        headers={"Content-Type": "application/json"} | EN,
    )
    assert too_large.status_code == 413 and too_large.json()["title"] == "Content too large"
    invalid = client.post(f"{API}/swipes", json={}, headers=person.headers).json()
    assert invalid["title"] == "Ongeldige invoer" and invalid["errors"]


def test_notification_texts_follow_the_language(client, make_participant):
    teacher, pro = make_participant("teacher"), make_participant("professional")
    mutual_match(client, teacher, pro)
    dutch = client.get(f"{API}/notifications", headers=teacher.headers).json()["items"][0]
    english = client.get(f"{API}/notifications", headers=teacher.headers | EN).json()["items"][0]
    assert dutch["text"] == f"Je hebt een match met {pro.name}! Jullie proeftijd is begonnen."
    assert english["text"] == f"You have a match with {pro.name}! Your trial period has started."
    export = client.get(f"{API}/me/export", headers=teacher.headers | EN).json()
    assert export["notifications"][0]["text"] == english["text"]


def test_every_notification_type_has_both_texts():
    assert set(TEXTS) == set(NOTIFICATION_TYPES)
    assert all(set(TEXTS[t]) == {"nl", "en"} for t in NOTIFICATION_TYPES)
