"""/app: the web app's files with the right caching and security headers, index.html for every
screen path (the links in mails), nothing outside the build, and /docs untouched."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.main import create_app

INDEX = "<!doctype html><title>Job Tinder</title>"


@pytest.fixture
def web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    (dist / "manifest.webmanifest").write_text('{"name": "Job Tinder"}')
    (dist / "assets" / "index-3f1c2a9e.js").write_text("console.log(1);")
    (dist / ".built").write_text("")
    (tmp_path / "secret.txt").write_text("outside the build")
    monkeypatch.setenv("WEB_APP_DIR", str(dist))
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        yield client
    get_settings.cache_clear()


def test_hashed_assets_are_immutable_and_the_rest_revalidates(web: TestClient) -> None:
    asset = web.get("/app/assets/index-3f1c2a9e.js")
    assert asset.status_code == 200
    assert asset.text == "console.log(1);"
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert asset.headers["content-type"].startswith("text/javascript")
    for path in ("/app/", "/app/sw.js", "/app/manifest.webmanifest"):
        response = web.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-cache", path
        assert "etag" in response.headers, path  # revalidation is cheap
    revalidated = web.get(
        "/app/sw.js", headers={"If-None-Match": web.get("/app/sw.js").headers["etag"]}
    )
    assert revalidated.status_code == 304


def test_every_screen_path_is_the_app(web: TestClient) -> None:
    for path in (
        "/app/",
        "/app/deck",
        "/app/matches/42",
        "/app/verify-email?token=abc",
        "/app/matches/42/chat",
    ):
        response = web.get(path)
        assert response.status_code == 200, path
        assert response.text == INDEX, path
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"
    bare = web.get("/app", follow_redirects=False)
    assert bare.status_code == 308 and bare.headers["location"] == "/app/"
    assert web.head("/app/deck").status_code == 200


def test_missing_files_and_paths_outside_the_build_are_404(web: TestClient) -> None:
    for path in (
        "/app/assets/index-00000000.js",  # an old build's asset: not the app's html
        "/app/missing.png",
        "/app/.built",
        "/app/..%2Fsecret.txt",
        "/app/assets/..%2F..%2Fsecret.txt",
    ):
        response = web.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json"), path
        assert "outside the build" not in response.text


def test_the_app_has_a_strict_content_security_policy(web: TestClient) -> None:
    response = web.get("/app/deck")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "connect-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_photo_cdn_is_allowed_as_an_image_source(
    web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDIA_BASE_URL", "https://cdn.jobtinder.example/photos")
    get_settings.cache_clear()
    policy = web.get("/app/").headers["content-security-policy"]
    assert "img-src 'self' data: blob: https://cdn.jobtinder.example;" in policy


def test_api_and_docs_are_unchanged(web: TestClient) -> None:
    assert web.get("/docs").status_code == 200
    assert "content-security-policy" not in web.get("/docs").headers  # Swagger UI's own
    me = web.get("/api/v1/me")
    assert me.status_code == 401
    assert me.headers["cache-control"] == "no-store"
    assert "content-security-policy" not in me.headers


def test_without_a_build_the_app_answers_404_with_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEB_APP_DIR", str(tmp_path / "nothing"))
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        response = client.get("/app/deck")
    get_settings.cache_clear()
    assert response.status_code == 404
    assert response.json()["code"] == "web_app_not_built"
    assert "make web" in response.json()["detail"]
