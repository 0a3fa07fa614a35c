"""Errors a program can branch on: each case its own `code` and problem `type`, from one
registry (app/errors.py), listed in the OpenAPI document with every status a route answers."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.errors import ERRORS, PROBLEM_BASE
from app.main import create_app
from tests.conftest import API, Person, mutual_match


def assert_code(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    assert body["type"] == PROBLEM_BASE + code.replace("_", "-"), body
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def swipe(client: TestClient, who: Person, target: Person, decision: str = "like") -> Any:
    return client.post(
        f"{API}/swipes", json={"target_id": target.id, "decision": decision}, headers=who.headers
    )


def test_swipe_errors_have_their_own_codes(client, make_participant, monkeypatch):
    teacher, pro, other = (
        make_participant("teacher"),
        make_participant("professional"),
        make_participant("professional"),
    )
    assert swipe(client, teacher, pro, "pass").status_code == 201
    assert_code(swipe(client, teacher, pro, "like"), 409, "swipe_conflict")
    match = mutual_match(client, teacher, other)
    undo = client.delete(f"{API}/swipes/{other.id}", headers=teacher.headers)
    assert_code(undo, 409, "swipe_has_match")
    confirm = client.post(f"{API}/matches/{match['id']}/exit", headers=teacher.headers)
    assert confirm.status_code == 200
    again = client.post(f"{API}/matches/{match['id']}/confirm", headers=teacher.headers)
    assert_code(again, 409, "match_not_in_trial")
    exit_again = client.post(f"{API}/matches/{match['id']}/exit", headers=teacher.headers)
    assert_code(exit_again, 409, "match_not_ongoing")

    incomplete = make_participant("teacher", profile=False)
    assert_code(swipe(client, incomplete, pro), 409, "profile_incomplete")
    assert_code(client.get(f"{API}/feed", headers=incomplete.headers), 409, "profile_incomplete")

    monkeypatch.setenv("LIKES_PER_DAY", "1")
    get_settings.cache_clear()
    liker = make_participant("teacher")
    assert swipe(client, liker, pro).status_code == 201
    refused = swipe(client, liker, other)
    assert_code(refused, 429, "daily_like_limit")
    assert int(refused.headers["Retry-After"]) > 0


def test_auth_errors_have_their_own_codes(client, make_participant, make_staff):
    person = make_participant("teacher")
    assert_code(client.get(f"{API}/me"), 401, "not_authenticated")
    bad = client.post(f"{API}/auth/token", data={"username": person.email, "password": "x" * 12})
    assert_code(bad, 401, "bad_credentials")
    refresh = client.post(f"{API}/auth/refresh", json={"refresh_token": "not-a-token"})
    assert_code(refresh, 401, "refresh_token_invalid")
    taken = client.post(
        f"{API}/auth/register",
        json={"email": person.email, "password": "x" * 12, "name": "X", "side": "teacher"},
    )
    assert_code(taken, 409, "email_taken")
    coordinator = make_staff("coordinator", regions=["rotterdam"])
    assert_code(client.get(f"{API}/feed", headers=coordinator.headers), 403, "participants_only")
    stats = client.get(f"{API}/coordinator/stats", headers=person.headers)
    assert_code(stats, 403, "coordinators_only")
    admin = client.post(f"{API}/admin/users", json={}, headers=coordinator.headers)
    assert_code(admin, 403, "admins_only")


def test_blind_match_conflicts_have_their_own_codes(client, make_participant, make_staff):
    coordinator = make_staff("coordinator", regions=["rotterdam"])
    teacher, pro = make_participant("teacher"), make_participant("professional")
    busy_t, busy_p = make_participant("teacher"), make_participant("professional")
    mutual_match(client, busy_t, busy_p)

    def blind(t: Person, p: Person) -> Any:
        return client.post(
            f"{API}/coordinator/matches",
            json={"teacher_id": t.id, "professional_id": p.id},
            headers=coordinator.headers,
        )

    assert_code(blind(teacher, busy_p), 409, "ongoing_match_limit")
    assert_code(blind(busy_t, busy_p), 409, "pair_matched_before")
    assert client.post(f"{API}/blocks", json={"user_id": pro.id}, headers=teacher.headers)
    assert_code(blind(teacher, pro), 409, "pair_blocked")


def test_input_errors_have_their_own_codes(client, make_participant):
    person = make_participant("teacher")
    assert_code(client.get(f"{API}/matches/999", headers=person.headers), 404, "not_found")
    assert_code(client.get(f"{API}/nowhere", headers=person.headers), 404, "not_found")
    cursor = client.get(f"{API}/matches", params={"cursor": "!!"}, headers=person.headers)
    assert_code(cursor, 422, "invalid_cursor")
    feed_cursor = client.get(f"{API}/feed", params={"cursor": "WzJd"}, headers=person.headers)
    assert_code(feed_cursor, 422, "invalid_cursor")
    body = assert_code(
        client.post(f"{API}/swipes", json={"decision": "maybe"}, headers=person.headers),
        422,
        "validation_error",
    )
    assert body["errors"]
    not_json = client.post(
        f"{API}/swipes",
        content=b"\xff{",
        headers=person.headers | {"Content-Type": "application/json"},
    )
    assert_code(not_json, 422, "invalid_json")
    too_large = client.post(
        f"{API}/auth/register",
        content=b"{" + b" " * (get_settings().max_body_bytes + 10) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert_code(too_large, 413, "content_too_large")
    method = client.put(f"{API}/feed", headers=person.headers)
    assert_code(method, 405, "method_not_allowed")


def test_the_registry_is_unique_and_well_formed():
    types = [e.type for e in ERRORS.values()]
    assert len(types) == len(set(types))
    for code, error in ERRORS.items():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code) and error.code == code
        assert 400 <= error.status <= 599
        assert error.title and error.detail and error.title_nl and error.detail_nl


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app().openapi()


def test_the_document_lists_every_code_once_in_one_table(spec):
    table = spec["info"]["description"].split("## Error codes", 1)[1]
    for code, error in ERRORS.items():
        assert table.count(f"| `{code}` | {error.status} | `{error.type}` |") == 1, code


def test_every_route_declares_its_statuses_and_codes(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            responses = operation["responses"]
            if operation["operationId"] not in ("healthz_read", "vocabulary_read"):
                assert "503" in responses, where
            if "requestBody" in operation:
                assert "413" in responses, where
            for status, response in responses.items():
                if int(status) < 400:
                    continue
                codes = response["x-error-codes"]
                assert codes, where
                for code in codes:
                    assert ERRORS[code].status == int(status), f"{where}: {code}"
                    assert f"`{code}`" in response["description"], where
                if status in ("429", "503"):
                    assert "Retry-After" in response["headers"], where
    swipes = spec["paths"]["/api/v1/swipes"]["post"]["responses"]
    assert swipes["409"]["x-error-codes"] == ["profile_incomplete", "swipe_conflict"]
    assert swipes["429"]["x-error-codes"] == ["daily_like_limit"]
    assert spec["paths"]["/api/v1/auth/token"]["post"]["responses"]["429"]["x-error-codes"] == [
        "too_many_attempts",
        "hashing_busy",
    ]


# --- Every error class and raise site goes through the registry ------------------------------


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


def _import_all_app_modules() -> None:
    import importlib
    import pkgutil

    import app

    for module in pkgutil.walk_packages(app.__path__, "app."):
        importlib.import_module(module.name)


def _render(exc: Exception, lang: str = "en") -> Any:
    from fastapi import FastAPI

    from app.errors import install_error_handlers

    tiny = FastAPI()
    install_error_handlers(tiny)

    @tiny.get("/raise")
    def _raise() -> None:
        raise exc

    with TestClient(tiny, raise_server_exceptions=False) as tiny_client:
        return tiny_client.get("/raise", headers={"Accept-Language": lang})


# Subclasses whose constructor needs arguments; every other one is built with no arguments.
_ARGUMENTS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "Invalid": (("bad value",), {"loc": ["body", "x"]}),
    "TooManyRequests": ((7,), {}),
    "ContentTooLarge": ((10,), {}),
}


# What each family answers by default (a bare `Conflict()` must not fall back to 422).
_FAMILY_STATUS = {
    "BadRequest": 400,
    "Unauthorized": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "Conflict": 409,
    "Gone": 410,
    "Invalid": 422,
    "TooManyRequests": 429,
    "ServiceUnavailable": 503,
}


def test_every_app_error_class_renders_its_code_and_status():
    from app.errors import AppError

    _import_all_app_modules()
    classes = [AppError, *_all_subclasses(AppError)]
    names = {cls.__name__ for cls in classes}
    # main's own classes are among them (a renamed one must be listed here again)
    assert {"HashingBusy", "TooManyRequests", "TokenInvalid", "Gone", "Conflict"} <= names
    for cls in classes:
        # The status comes from the code: a class-level `status` would be silently ignored.
        assert "status" not in cls.__dict__ or isinstance(cls.__dict__["status"], property), cls
        args, kwargs = _ARGUMENTS.get(cls.__name__, ((), {}))
        exc = cls(*args, **kwargs)
        assert exc.error.code in ERRORS, cls
        family = next((c.__name__ for c in cls.__mro__ if c.__name__ in _FAMILY_STATUS), None)
        if family is not None:
            assert exc.error.status == _FAMILY_STATUS[family], cls
        for lang in ("nl", "en"):
            response = _render(exc, lang)
            body = assert_code(response, exc.error.status, exc.error.code)
            assert body["title"] == exc.error.text(lang, exc.params)[0], (cls, lang)
        if exc.error.status in (429, 503):
            assert int(response.headers["Retry-After"]) > 0, cls


def test_every_registered_code_renders_its_declared_status_in_both_languages():
    from app.errors import AppError

    params = {"retry_after": 3, "max_bytes": 10}
    for code, error in ERRORS.items():
        nl = assert_code(_render(AppError(error, params=params), "nl"), error.status, code)
        en = assert_code(_render(AppError(error, params=params), "en"), error.status, code)
        assert nl["title"] == error.title_nl and en["title"] == error.title, code
        assert "{" not in nl["detail"] + en["detail"], code


def test_no_raise_site_sends_free_text_under_a_generic_code():
    """Every distinct case has its own code: no `Conflict("...")`, `NotFound(f"...")`, ... in
    app/ (only `Invalid`, whose free text is a field-level message under its code, may)."""
    import ast
    from pathlib import Path

    from app.errors import AppError

    _import_all_app_modules()
    import importlib

    classes = {cls.__name__ for cls in [AppError, *_all_subclasses(AppError)]}
    offenders = []
    for path in Path("app").rglob("*.py"):
        tree = ast.parse(path.read_text())
        module = importlib.import_module(
            ".".join(path.with_suffix("").parts).removesuffix(".__init__")
        )
        # A module's own exception of the same name that is no AppError (app/tokens.py's
        # TokenInvalid is internal, turned into 401 by its caller) is not an answer.
        local = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            and not any(isinstance(b, ast.Name) and b.id in classes for b in node.bases)
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            name = node.func.id
            if name not in classes or name in local or name == "Invalid" or not node.args:
                continue
            first = node.args[0]
            # A literal, or a module constant holding text instead of a registered code.
            if isinstance(first, ast.Constant | ast.JoinedStr) or (
                isinstance(first, ast.Name) and isinstance(getattr(module, first.id, None), str)
            ):
                offenders.append(f"{path}:{node.lineno} {node.func.id}")
    assert offenders == []


def test_main_account_and_mail_errors_have_their_own_codes(client, make_participant):
    person = make_participant("teacher")
    wrong = client.post(
        f"{API}/me/password",
        json={"current_password": "not-the-password-1", "new_password": "another-secret-pw-9"},
        headers=person.headers,
    )
    body = assert_code(wrong, 422, "wrong_password")
    assert body["errors"][0]["loc"] == ["body", "current_password"]
    link = client.post(f"{API}/auth/verify-email", json={"token": "x" * 43})
    assert_code(link, 400, "link_token_invalid")
    unsubscribe = client.get(f"{API}/mail/unsubscribe", params={"token": "x" * 43})
    assert unsubscribe.status_code == 404, unsubscribe.text
    nul = client.patch(f"{API}/me/profile", json={"headline": "a\u0000b"}, headers=person.headers)
    assert_code(nul, 422, "text_has_nul")
    sessions = client.get(f"{API}/me/sessions", params={"cursor": "!!"}, headers=person.headers)
    assert_code(sessions, 422, "invalid_cursor")
    dutch = client.get(f"{API}/me/sessions", params={"cursor": "!!"}, headers=person.headers)
    assert dutch.json()["title"] == "Ongeldige invoer"
