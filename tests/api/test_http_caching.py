"""HTTP caching and compression: gzip when accepted, ETag/304 on the vocabulary (public),
GET /me and profile cards (private), no-store everywhere else under /api/v1."""

import gzip
import json
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.conftest import API, Person, mutual_match

PLAIN = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}


def raw_get(client: TestClient, path: str, headers: dict[str, str]) -> httpx.Response:
    """The answer as sent: the body not decoded, whatever its Content-Encoding."""
    with client.stream("GET", f"{API}{path}", headers=headers) as response:
        response.raw = b"".join(response.iter_raw())  # type: ignore[attr-defined]
        return response


def test_large_answers_are_gzipped_only_when_accepted(client, make_participant):
    viewer = make_participant("teacher")
    for _ in range(5):
        make_participant("professional")
    for path, headers in (("/vocabulary", {}), ("/feed?limit=20", viewer.headers)):
        plain = raw_get(client, path, headers | PLAIN)
        assert "content-encoding" not in plain.headers
        packed = raw_get(client, path, headers | GZIP)
        assert packed.headers["content-encoding"] == "gzip"
        assert len(packed.raw) < len(plain.raw)  # type: ignore[attr-defined]
        assert json.loads(gzip.decompress(packed.raw)) == json.loads(plain.raw)  # type: ignore[attr-defined]
        assert "Accept-Encoding" in packed.headers["vary"]
    small = raw_get(client, "/me/unread", viewer.headers | GZIP)
    assert "content-encoding" not in small.headers  # under 1 KB: not worth it


def revalidate(client: TestClient, path: str, headers: dict[str, str]) -> tuple[Any, str]:
    first = client.get(f"{API}{path}", headers=headers)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    again = client.get(f"{API}{path}", headers=headers | {"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    return first, etag


def test_vocabulary_is_public_and_revalidates(client):
    first, etag = revalidate(client, "/vocabulary", {})
    assert first.headers["cache-control"] == "public, max-age=86400"
    other = client.get(f"{API}/vocabulary", headers={"If-None-Match": 'W/"other"'})
    assert other.status_code == 200 and other.json() == first.json()


def test_me_is_private_and_a_change_gives_a_new_etag(client, make_participant):
    me = make_participant("teacher")
    first, etag = revalidate(client, "/me", me.headers)
    assert first.headers["cache-control"] == "private, no-cache"
    assert "Authorization" in first.headers["vary"]
    patched = client.patch(f"{API}/me/profile", json={"bio": "Nieuw."}, headers=me.headers)
    assert patched.status_code == 200
    changed = client.get(f"{API}/me", headers=me.headers | {"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["profile"]["bio"] == "Nieuw."
    assert changed.headers["etag"] != etag
    # another person's token with my ETag gets their own answer, not a 304
    other = make_participant("teacher")
    theirs = client.get(f"{API}/me", headers=other.headers | {"If-None-Match": etag})
    assert theirs.status_code == 200 and theirs.json()["id"] == other.id


def test_profile_card_etag_follows_what_the_viewer_may_see(client, make_participant):
    owner: Person = make_participant("professional", contact={"email": "pro@example.org"})
    stranger, partner = make_participant("teacher"), make_participant("teacher")
    seen, stranger_etag = revalidate(client, f"/profiles/{owner.id}", stranger.headers)
    assert seen.headers["cache-control"] == "private, no-cache"
    assert seen.json()["contact"] is None
    mutual_match(client, partner, owner)
    with_contact = client.get(
        f"{API}/profiles/{owner.id}", headers=partner.headers | {"If-None-Match": stranger_etag}
    )
    assert with_contact.status_code == 200
    assert with_contact.json()["contact"]["email"] == "pro@example.org"


def test_everything_else_is_no_store(client, make_participant):
    me = make_participant("teacher")
    for path in ("/feed", "/matches", "/notifications", "/me/swipes", "/me/export"):
        response = client.get(f"{API}{path}", headers=me.headers)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path
        assert "etag" not in response.headers, path
