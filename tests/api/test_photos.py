"""Profile photos: upload, processing, storage (a directory and S3), signed URLs, who sees
them, removal and erasure. Every test that stores something runs on both storages."""

import io
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app import clock
from app.cli import main as cli
from app.config import get_settings
from app.schemas.feed import FeedPageOut
from app.services import photos
from tests.api import photo_files as files
from tests.conftest import API, Person, database_snapshot, login, mutual_match
from tests.live import free_port

PHOTO = f"{API}/me/photo"


@dataclass
class Media:
    """The storage a test runs on, read directly (not through the app's own storage code)."""

    kind: str
    root: Path | None = None
    bucket: str | None = None
    s3: Any = None

    def objects(self) -> dict[str, bytes]:
        if self.kind == "local":
            assert self.root is not None
            if not self.root.is_dir():
                return {}
            return {p.name: p.read_bytes() for p in self.root.iterdir() if p.is_file()}
        listing = self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return {
            o["Key"]: self.s3.get_object(Bucket=self.bucket, Key=o["Key"])["Body"].read()
            for o in listing
        }

    def put(self, name: str, data: bytes) -> None:
        if self.kind == "local":
            assert self.root is not None
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / name).write_bytes(data)
        else:
            self.s3.put_object(Bucket=self.bucket, Key=name, Body=data)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible server (moto's server mode) on a free loopback port."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(params=["local", "s3"])
def media(request, monkeypatch, tmp_path) -> Media:  # type: ignore[no-untyped-def]
    """Request it before `client`: the app is created with these settings."""
    if request.param == "local":
        monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
        get_settings.cache_clear()
        return Media("local", root=tmp_path / "media")
    endpoint = request.getfixturevalue("s3_endpoint")
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    bucket = f"photos-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    monkeypatch.setenv("S3_BUCKET", bucket)
    monkeypatch.setenv("S3_ENDPOINT_URL", endpoint)
    get_settings.cache_clear()
    return Media("s3", bucket=bucket, s3=s3)


def upload(
    client: TestClient,
    who: Person,
    data: bytes,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
) -> Any:
    return client.put(PHOTO, files={"file": (filename, data, content_type)}, headers=who.headers)


def uploaded(client: TestClient, who: Person, data: bytes | None = None) -> dict[str, Any]:
    response = upload(client, who, data or files.jpeg_with_metadata())
    assert response.status_code == 200, response.text
    photo = response.json()["photo"]
    assert photo is not None
    return dict(photo)


def fetch(client: TestClient, url: str) -> Any:
    return client.get(url)


def card(client: TestClient, viewer: Person, subject: Person) -> Any:
    return client.get(f"{API}/profiles/{subject.id}", headers=viewer.headers)


def feed_card(client: TestClient, viewer: Person, subject: Person) -> dict[str, Any] | None:
    items = client.get(f"{API}/feed", params={"limit": 100}, headers=viewer.headers).json()
    return next((i["profile"] for i in items["items"] if i["profile"]["id"] == subject.id), None)


# --- the whole way, on both databases and both storages -----------------------------------


def test_upload_feed_card_match_coordinator_export_erase(
    media: Media, client: TestClient, make_participant, make_staff
) -> None:
    teacher, pro = make_participant("teacher"), make_participant("professional")
    coordinator = make_staff("coordinator", ["rotterdam"])
    original = files.jpeg_with_metadata()
    assert files.SECRET_MODEL.encode() in original and files.SECRET_COMMENT in original

    own = upload(client, pro, original)
    assert own.status_code == 200, own.text
    photo = own.json()["photo"]
    # 1600 x 1200 with EXIF orientation 6 (rotate 90°): an upright portrait card image
    assert (photo["width"], photo["height"]) == (540, 720)

    stored = media.objects()
    assert len(stored) == 2 and all(name.endswith(".webp") for name in stored)
    for data in stored.values():
        assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
        assert b"EXIF" not in data and b"Exif" not in data and b"XMP " not in data
        assert files.SECRET_MODEL.encode() not in data and files.SECRET_COMMENT not in data
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif() and not image.getexif().get_ifd(0x8825)
            assert "icc_profile" not in image.info and "exif" not in image.info
    card_image = next(v for k, v in stored.items() if k.endswith("-card.webp"))
    with Image.open(io.BytesIO(card_image)) as image:
        assert image.size == (540, 720)
        rgb = image.convert("RGB")
        top, bottom = rgb.getpixel((270, 10)), rgb.getpixel((270, 710))
    assert top[0] > 150 and top[2] < 100  # the red left half is now on top
    assert bottom[2] > 150 and bottom[0] < 100
    thumb = next(v for k, v in stored.items() if k.endswith("-thumb.webp"))
    with Image.open(io.BytesIO(thumb)) as image:
        assert image.size == (160, 160)

    # the feed, the public card, the served image
    in_feed = feed_card(client, teacher, pro)
    assert in_feed is not None and in_feed["photo"]["width"] == 540
    public = card(client, teacher, pro)
    assert public.status_code == 200 and public.json()["photo"]["height"] == 720
    served = fetch(client, public.json()["photo"]["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/webp"
    assert served.content == card_image
    cache = served.headers["cache-control"]
    assert cache.startswith("public, max-age=") and "immutable" in cache
    assert 0 < int(cache.split("max-age=")[1].split(",")[0]) <= get_settings().photo_url_seconds
    assert fetch(client, public.json()["photo"]["thumbnail_url"]).content == thumb

    # the match, the coordinator's row, the export
    match = mutual_match(client, pro, teacher)  # the teacher's like starts it
    assert match["partner"]["photo"]["width"] == 540
    again = client.get(f"{API}/matches/{match['id']}", headers=teacher.headers).json()
    assert fetch(client, again["partner"]["photo"]["url"]).status_code == 200
    listed = client.get(f"{API}/matches", headers=teacher.headers).json()["items"]
    assert listed[0]["partner"]["photo"] == again["partner"]["photo"]
    rows = client.get(f"{API}/coordinator/participants", headers=coordinator.headers).json()
    row = next(r for r in rows["items"] if r["id"] == pro.id)
    assert fetch(client, row["photo"]["thumbnail_url"]).status_code == 200
    pairs = client.get(f"{API}/coordinator/matches", headers=coordinator.headers).json()
    assert pairs["items"][0]["professional"]["photo"]["width"] == 540
    export = client.get(f"{API}/me/export", headers=pro.headers).json()
    assert fetch(client, export["profile"]["photo"]["url"]).status_code == 200

    # erasure: the images are gone at once, and with them every URL ever issued
    assert client.delete(f"{API}/me", headers=pro.headers).status_code == 204
    assert media.objects() == {}
    assert fetch(client, public.json()["photo"]["url"]).status_code == 404
    history = client.get(f"{API}/matches/{match['id']}", headers=teacher.headers).json()
    assert history["partner"]["photo"] is None


# --- hostile files ------------------------------------------------------------------------


def _truncated_jpeg() -> bytes:
    data = files.jpeg_with_metadata()
    return data[: len(data) // 2]


HOSTILE = {
    "decompression bomb (25 MP of black in a few KB)": (files.png_bomb, "bomb.png", "image/png"),
    "header announcing 60000 x 60000": (files.huge_header_png, "big.png", "image/png"),
    "polyglot: PNG followed by HTML": (
        lambda: files.png() + files.HTML_PAYLOAD,
        "photo.png",
        "image/png",
    ),
    "polyglot: WebP followed by HTML": (
        lambda: files.webp() + files.HTML_PAYLOAD,
        "photo.webp",
        "image/webp",
    ),
    "truncated JPEG": (_truncated_jpeg, "photo.jpg", "image/jpeg"),
    "1 x 100000 image": (lambda: files.png(1, 100000, "L"), "tall.png", "image/png"),
    "SVG": (lambda: files.SVG, "photo.svg", "image/svg+xml"),
    "SVG sent as a JPEG": (lambda: files.SVG, "photo.jpg", "image/jpeg"),
    "GIF renamed .jpg": (files.gif, "photo.jpg", "image/jpeg"),
    "animated PNG": (files.animated_png, "anim.png", "image/png"),
    "animated WebP": (files.animated_webp, "anim.webp", "image/webp"),
    "HTML": (lambda: files.HTML_PAYLOAD, "photo.jpg", "image/jpeg"),
    "empty file": (lambda: b"", "photo.jpg", "image/jpeg"),
    "random bytes": (lambda: os.urandom(5000), "photo.jpg", "image/jpeg"),
    "too small (10 x 10)": (lambda: files.png(10, 10), "tiny.png", "image/png"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_are_refused_and_nothing_is_stored(
    media: Media, client: TestClient, make_participant, db, case: str
) -> None:
    make_data, filename, content_type = HOSTILE[case]
    pro = make_participant("professional")
    before = database_snapshot(db)
    response = upload(client, pro, make_data(), filename, content_type)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["errors"][0]["loc"] == ["body", "file"] and body["detail"]
    assert database_snapshot(db) == before
    assert media.objects() == {}
    assert client.get(f"{API}/me", headers=pro.headers).json()["profile"]["photo"] is None


def test_data_after_a_jpeg_is_never_stored_or_served(
    media: Media, client: TestClient, make_participant
) -> None:
    """A JPEG may carry data after its end (phones put motion-photo videos there): it is
    accepted as a photo, and what is stored and served is a new WebP of its pixels only."""
    pro = make_participant("professional")
    photo = uploaded(client, pro, files.jpeg_with_metadata() + files.HTML_PAYLOAD)
    for data in media.objects().values():
        assert b"<script" not in data and b"<html" not in data
    served = fetch(client, photo["url"])
    assert served.headers["content-type"] == "image/webp"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert b"<script" not in served.content


@pytest.mark.parametrize("kind", ["png", "webp", "png with transparency"])
def test_png_and_webp_are_accepted(media: Media, client: TestClient, make_participant, kind):
    data = {
        "png": files.png(400, 300),
        "webp": files.webp(400, 300),
        "png with transparency": files.png(300, 400, "RGBA"),
    }[kind]
    pro = make_participant("professional")
    photo = uploaded(client, pro, data)
    assert (photo["width"], photo["height"]) in ((400, 300), (300, 400))


# --- size limits --------------------------------------------------------------------------


def test_a_ten_megabyte_photo_passes_and_a_larger_one_is_413(
    media: Media, client: TestClient, make_participant, db
) -> None:
    pro = make_participant("professional")
    big = files.noise_png(1820)  # about 9.9 MB, incompressible
    assert 9_500_000 < len(big) <= get_settings().photo_max_bytes
    photo = uploaded(client, pro, big)
    assert photo["width"] == 720
    before = database_snapshot(db)
    stored = media.objects()
    too_big = big + b"\x00" * (get_settings().photo_max_bytes - len(big) + 1)
    response = upload(client, pro, too_big, "photo.png", "image/png")
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert database_snapshot(db) == before and media.objects() == stored


def test_the_large_body_limit_holds_for_the_photo_route_only(
    client: TestClient, make_participant
) -> None:
    pro = make_participant("professional")
    body = {"bio": "x" * (get_settings().max_body_bytes + 10)}
    assert client.patch(f"{API}/me/profile", json=body, headers=pro.headers).status_code == 413
    assert client.post(f"{API}/me/photo", content=b"x" * 100_000).status_code == 413


def test_a_nul_in_a_text_field_of_the_upload_is_still_refused(
    media: Media, client: TestClient, make_participant
) -> None:
    pro = make_participant("professional")
    response = client.put(
        PHOTO,
        files={"file": ("photo.jpg", files.jpeg_with_metadata(), "image/jpeg")},
        data={"caption": "hi\x00there"},
        headers=pro.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "caption"]
    assert media.objects() == {}


# --- signed URLs --------------------------------------------------------------------------


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts.path + "?" + "&".join(f"{k}={v}" for k, v in query.items() if v is not None)


def test_only_a_genuine_unexpired_signature_opens_an_image(
    media: Media, client: TestClient, make_participant
) -> None:
    pro = make_participant("professional")
    photo = uploaded(client, pro)
    url, thumb = photo["url"], photo["thumbnail_url"]
    assert fetch(client, url).status_code == 200
    exp = parse_qs(urlsplit(url).query)["exp"][0]
    thumb_sig = parse_qs(urlsplit(thumb).query)["sig"][0]
    guesses = [
        urlsplit(url).path,  # no signature at all
        urlsplit(url).path + f"?exp={exp}",
        _with(url, sig="A" * 22),
        _with(url, sig=thumb_sig),  # another object's signature
        _with(url, exp=str(int(exp) + 3600)),  # a later expiry, same signature
        _with(url, exp="soon"),
        "/media/" + "0" * 32 + "-card.webp" + "?" + urlsplit(url).query,
        "/media/../../etc/passwd",
    ]
    for guess in guesses:
        answer = fetch(client, guess)
        assert answer.status_code == 404, guess
        assert answer.headers["content-type"] == "application/problem+json"
    clock.advance(timedelta(seconds=get_settings().photo_url_seconds + 1))
    assert fetch(client, url).status_code == 404  # expired
    fresh = card(client, pro, pro)  # a new card carries a new URL
    assert fetch(client, fresh.json()["photo"]["url"]).status_code == 200


def test_urls_of_one_moment_are_the_same_so_they_can_be_cached(
    media: Media, client: TestClient, make_participant
) -> None:
    teacher, pro = make_participant("teacher"), make_participant("professional")
    uploaded(client, pro)
    first = card(client, teacher, pro).json()["photo"]
    second = feed_card(client, teacher, pro)
    assert second is not None and second["photo"] == first


# --- who sees a photo ---------------------------------------------------------------------


def test_a_block_a_pause_and_strangers_get_no_working_url(
    media: Media, client: TestClient, make_participant
) -> None:
    teacher, pro = make_participant("teacher"), make_participant("professional")
    other = make_participant("teacher")
    partner = make_participant("teacher")
    uploaded(client, pro)
    match = mutual_match(client, partner, pro)

    # paused: strangers get no card and no photo, the matched partner still does
    paused = client.patch(f"{API}/me/profile", json={"discoverable": False}, headers=pro.headers)
    assert paused.status_code == 200
    assert card(client, other, pro).status_code == 404
    assert feed_card(client, other, pro) is None
    seen = client.get(f"{API}/matches/{match['id']}", headers=partner.headers).json()
    assert fetch(client, seen["partner"]["photo"]["url"]).status_code == 200
    client.patch(f"{API}/me/profile", json={"discoverable": True}, headers=pro.headers)

    # a block: the blocked one gets no card; a blocked partner sees a stub without a photo
    assert card(client, teacher, pro).json()["photo"] is not None
    blocked = client.post(f"{API}/blocks", json={"user_id": teacher.id}, headers=pro.headers)
    assert blocked.status_code == 201
    assert card(client, teacher, pro).status_code == 404
    client.post(f"{API}/blocks", json={"user_id": partner.id}, headers=pro.headers)
    stub = client.get(f"{API}/matches/{match['id']}", headers=partner.headers).json()["partner"]
    assert stub["photo"] is None and stub["headline"] is None

    # URLs issued before stop working when they expire
    issued = card(client, other, pro).json()["photo"]["url"]
    clock.advance(timedelta(seconds=get_settings().photo_url_seconds + 1))
    assert fetch(client, issued).status_code == 404


def test_a_coordinator_of_another_region_sees_no_photo_of_a_stranger(
    media: Media, client: TestClient, make_participant, make_staff
) -> None:
    pro = make_participant("professional")
    uploaded(client, pro)
    elsewhere = make_staff("coordinator", ["utrecht"])
    assert card(client, elsewhere, pro).status_code == 404
    rows = client.get(f"{API}/coordinator/participants", headers=elsewhere.headers).json()
    assert rows["items"] == []


# --- removal ------------------------------------------------------------------------------


def test_delete_and_replace_remove_the_old_images(
    media: Media, client: TestClient, make_participant
) -> None:
    teacher, pro = make_participant("teacher"), make_participant("professional")
    first = uploaded(client, pro)
    first_objects = set(media.objects())
    second = uploaded(client, pro, files.png(500, 400))
    assert set(media.objects()).isdisjoint(first_objects) and len(media.objects()) == 2
    assert fetch(client, first["url"]).status_code == 404
    assert fetch(client, second["url"]).status_code == 200

    assert client.delete(PHOTO, headers=pro.headers).status_code == 204
    assert media.objects() == {}
    assert fetch(client, second["url"]).status_code == 404
    assert card(client, teacher, pro).json()["photo"] is None
    assert client.delete(PHOTO, headers=pro.headers).status_code == 204  # nothing left


def test_the_same_photo_of_two_people_is_stored_for_each(
    media: Media, client: TestClient, make_participant
) -> None:
    a, b = make_participant("professional"), make_participant("professional")
    data = files.jpeg_with_metadata()
    uploaded(client, a, data)
    photo_b = uploaded(client, b, data)
    assert len(media.objects()) == 4
    assert client.delete(PHOTO, headers=a.headers).status_code == 204
    assert fetch(client, photo_b["url"]).status_code == 200


def test_a_coordinator_removes_a_photo_in_their_region_and_the_participant_is_told(
    media: Media, client: TestClient, make_participant, make_staff
) -> None:
    pro = make_participant("professional")
    photo = uploaded(client, pro)
    path = f"{API}/coordinator/participants/{pro.id}/photo"
    elsewhere = make_staff("coordinator", ["utrecht"])
    assert client.delete(path, headers=elsewhere.headers).status_code == 404
    assert client.delete(path, headers=pro.headers).status_code == 403
    assert len(media.objects()) == 2

    coordinator = make_staff("coordinator", ["rotterdam"])
    assert client.delete(path, headers=coordinator.headers).status_code == 204
    assert media.objects() == {}
    assert fetch(client, photo["url"]).status_code == 404
    assert client.get(f"{API}/me", headers=pro.headers).json()["profile"]["photo"] is None
    notes = client.get(f"{API}/notifications", headers=pro.headers).json()["items"]
    assert [n["type"] for n in notes] == [photos.PHOTO_REMOVED]
    assert client.delete(path, headers=coordinator.headers).status_code == 204  # again
    notes = client.get(f"{API}/notifications", headers=pro.headers).json()["items"]
    assert len(notes) == 1


def test_purge_sweeps_orphans_but_never_a_referenced_or_fresh_object(
    media: Media, client: TestClient, make_participant, capsys
) -> None:
    pro = make_participant("professional")
    photo = uploaded(client, pro)
    kept = set(media.objects())
    orphan = "f" * 32 + "-card.webp"
    media.put(orphan, b"RIFF....WEBP")
    cli(["purge"])  # the orphan is younger than the grace period: an upload in flight
    assert orphan in media.objects()
    clock.advance(photos.ORPHAN_GRACE + timedelta(minutes=1))
    cli(["purge"])
    assert "1 orphaned photo image(s)" in capsys.readouterr().out.splitlines()[-1]
    assert set(media.objects()) == kept
    fresh = login(client, pro.email)["access_token"]
    own = client.get(f"{API}/me", headers={"Authorization": f"Bearer {fresh}"}).json()
    assert (
        fetch(client, own["profile"]["photo"]["url"]).content
        == media.objects()[photo["url"].split("/")[-1].split("?")[0]]
    )


def test_purge_erasing_an_inactive_account_removes_its_images(
    media: Media, client: TestClient, make_participant
) -> None:
    pro = make_participant("professional")
    uploaded(client, pro)
    clock.advance(timedelta(days=get_settings().retention_days + 1))
    cli(["purge"])
    assert media.objects() == {}


def test_participants_only_and_a_file_is_required(
    media: Media, client: TestClient, make_participant, make_staff
) -> None:
    coordinator = make_staff("coordinator", ["rotterdam"])
    data = files.jpeg_with_metadata()
    assert upload(client, coordinator, data).status_code == 403
    assert client.put(PHOTO, data={"x": "y"}, headers=make_participant().headers).status_code == 422
    assert client.put(PHOTO, files={"file": ("a.jpg", data, "image/jpeg")}).status_code == 401
    assert media.objects() == {}


def test_the_feed_with_photos_is_exactly_the_documented_model(
    media: Media, client: TestClient, make_participant
) -> None:
    """The feed writes its JSON without pydantic: with photos on the cards, its body is still
    a fixed point of FeedPageOut, and each card's photo is the one the public card shows."""
    teacher = make_participant("teacher")
    pros = [make_participant("professional", place=p) for p in ("rotterdam", "delft")]
    for pro in pros:
        uploaded(client, pro)
    without = make_participant("professional", place="schiedam")
    response = client.get(f"{API}/feed", headers=teacher.headers)
    body = response.json()
    assert FeedPageOut.model_validate_json(response.content).model_dump(mode="json") == body
    by_id = {item["profile"]["id"]: item["profile"] for item in body["items"]}
    assert set(by_id) == {p.id for p in [*pros, without]}
    assert by_id[without.id]["photo"] is None
    for pro in pros:
        assert by_id[pro.id]["photo"] == card(client, teacher, pro).json()["photo"]
        assert fetch(client, by_id[pro.id]["photo"]["thumbnail_url"]).status_code == 200
