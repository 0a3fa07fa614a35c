"""Test fixtures: a real database built by `alembic upgrade head`, emptied after every test.

The database is SQLite (a temporary file) unless TEST_DATABASE_URL or DATABASE_URL names a
PostgreSQL server; then a dedicated database `jobtinder_test` is created on that server (the
database named in the URL is left alone). Every test starts from empty tables: the suite
truncates after each test instead of rolling back one outer transaction, because the
multi-process tests run real servers that must see committed data.
"""

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text

_TMP = tempfile.mkdtemp(prefix="jobtinder-test-")


def _test_database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not url.startswith("postgres"):
        return f"sqlite:///{_TMP}/test.db"
    parsed = make_url(url).set(drivername="postgresql+psycopg")
    # TEST_DATABASE_NAME lets several suites share one server without sharing a database.
    name = os.environ.get("TEST_DATABASE_NAME", "jobtinder_test")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        name += f"_{worker}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


TEST_DATABASE_URL = _test_database_url()
os.environ["DATABASE_URL"] = TEST_DATABASE_URL
os.environ["ENVIRONMENT"] = "test"
os.environ["SECRET_KEY"] = "test-secret-key-that-is-long-enough-0123456789"
os.environ.pop("REDIS_URL", None)
# Photos go to a directory of the test run (tests/api/test_photos.py also runs them on S3).
os.environ["MEDIA_DIR"] = f"{_TMP}/media"
os.environ.pop("S3_BUCKET", None)
os.environ["FEATURE_SNAPSHOT_DIR"] = f"{_TMP}/features"
# Cheap Argon2 for the many users tests create (the settings refuse this outside tests);
# tests/test_password_hashing.py checks the production parameters themselves.
os.environ["PASSWORD_HASH_PROFILE"] = "fast"
# Brute-force limits count per client address, and every test client shares one: generous
# here; tests/test_rate_limits.py sets small ones.
os.environ["REGISTRATIONS_PER_ADDRESS"] = "1000000"
os.environ["LOGIN_ATTEMPTS_PER_ADDRESS"] = "1000000"
# No background mail loop in test apps (tests deliver explicitly), and no shared mail folder.
os.environ["MAIL_WORKER_IN_PROCESS"] = "false"
os.environ["MAIL_DIR"] = os.path.join(_TMP, "mail")
os.environ.pop("SMTP_HOST", None)

from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from app import clock  # noqa: E402
from app.cli import migrate  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import get_engine  # noqa: E402
from app.main import create_app  # noqa: E402
from app.models import Role  # noqa: E402
from app.security import hash_password  # noqa: E402
from app.services.accounts import create_user  # noqa: E402
from app.services.feature_store import store as feature_store  # noqa: E402
from app.services.revocation import revocations  # noqa: E402

PASSWORD = "correct-horse-battery"
API = "/api/v1"

COMPLETE_PROFILE: dict[str, Any] = {
    "teacher": {
        "headline": "Docent natuurkunde",
        "organisation": "Erasmiaans Gymnasium",
        "organisation_type": "gymnasium",
        "subjects": ["natuurkunde"],
        "place": "rotterdam",
        "hours_per_month": 8,
        "available_months": [1, 2, 3, 4, 5, 6],
        "goals": ["practice_in_lessons", "hybrid_career"],
        "outcomes": ["richer_experience"],
        "contact": {"email": "teacher.contact@example.org", "phone": "+31 6 11111111"},
    },
    "professional": {
        "headline": "Ingenieur tramonderhoud",
        "organisation": "RET",
        "organisation_type": "openbaar_vervoer",
        "subjects": ["werktuigbouwkunde", "transporttechniek"],
        "place": "rotterdam",
        "hours_per_month": 8,
        "available_months": [1, 2, 3, 4, 5, 6],
        "goals": ["teach_pupils_my_field", "hybrid_career"],
        "outcomes": ["richer_experience"],
        "contact": {"email": "pro.contact@example.org", "phone": "+31 6 22222222"},
    },
}


@pytest.fixture(scope="session", autouse=True)
def _schema() -> Iterator[None]:
    get_settings.cache_clear()
    get_engine.cache_clear()
    migrate()
    yield
    get_engine().dispose()
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture(autouse=True)
def _clean_database() -> Iterator[None]:
    clock.reset()
    feature_store.clear()
    revocations.reset()
    yield
    clock.reset()
    feature_store.clear()
    revocations.reset()
    get_settings.cache_clear()
    engine = get_engine()
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


class ServerLog(logging.Handler):
    """Collects what the server logs with a traceback at ERROR or above: an unhandled
    exception (the 500 handler's `log.exception`, uvicorn's "Exception in ASGI application")."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and not any(seen is record for seen in self.records):
            self.records.append(record)

    def clear(self) -> None:
        self.records.clear()

    def assert_clean(self) -> None:
        if self.records:
            logged = "\n\n".join(self.format(record) for record in self.records)
            pytest.fail(f"the server logged an unhandled exception:\n{logged}", pytrace=False)


SERVER_LOGGERS = ("", "jobtinder", "uvicorn", "uvicorn.error")


@pytest.fixture(autouse=True)
def server_log() -> Iterator[ServerLog]:
    """Every test fails if the app logged a traceback while it ran: a 500 is a bug even when
    the test did not look at that response (tests/test_server_log.py shows it catches one)."""
    handler = ServerLog()
    loggers = [logging.getLogger(name) for name in SERVER_LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    handler.assert_clean()


@pytest.fixture
def app():  # type: ignore[no-untyped-def]
    return create_app()


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def db() -> Iterator[Session]:
    """A session for looking at what the database holds (read it after requests)."""
    with Session(get_engine()) as session:
        yield session


@dataclass
class Person:
    id: int
    email: str
    name: str
    side: str | None
    token: str
    refresh_token: str
    headers: dict[str, str] = field(default_factory=dict)


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = client.post(f"{API}/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


_counter = {"n": 0}


def mailed_token(
    email: str, template: str = "verify_email", *, database_url: str | None = None
) -> str:
    """The token in the newest mail of this template to this address, from the outbox (of the
    test database, or of the one at `database_url`)."""
    from urllib.parse import parse_qs, urlsplit

    from sqlalchemy import select

    from app.models import OutboxMail

    engine = get_engine() if database_url is None else create_engine(database_url)
    try:
        with Session(engine) as session:
            mail = session.scalars(
                select(OutboxMail)
                .where(OutboxMail.to_address == email, OutboxMail.template == template)
                .order_by(OutboxMail.id.desc())  # type: ignore[union-attr]
            ).first()
            assert mail is not None, f"no {template} mail to {email}"
            return parse_qs(urlsplit(mail.context["link"]).query)["token"][0]
    finally:
        if database_url is not None:
            engine.dispose()


def verify_email(client: Any, email: str, *, database_url: str | None = None) -> None:
    """Verify the address as its owner does: with the link from the verification mail."""
    token = mailed_token(email, database_url=database_url)
    response = client.post(f"{API}/auth/verify-email", json={"token": token})
    assert response.status_code == 200, response.text


@pytest.fixture
def make_participant(client: TestClient):  # type: ignore[no-untyped-def]
    """Register a participant through the API, optionally with a complete profile.

    `make_participant("teacher", place="delft", subjects=[...])` overrides profile fields;
    `profile=False` leaves the profile out; `verified=False` leaves the address unverified.
    """

    def _make(
        side: str = "teacher",
        *,
        profile: bool = True,
        name: str | None = None,
        verified: bool = True,
        **overrides: Any,
    ) -> Person:
        _counter["n"] += 1
        email = f"{side}{_counter['n']}@example.org"
        name = name or f"{side.title()} {_counter['n']}"
        response = client.post(
            f"{API}/auth/register",
            json={"email": email, "password": PASSWORD, "name": name, "side": side},
        )
        assert response.status_code == 201, response.text
        user_id = response.json()["id"]
        if verified:
            verify_email(client, email)
        tokens = login(client, email)
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        if profile:
            body = COMPLETE_PROFILE[side] | overrides
            put = client.put(f"{API}/me/profile", json=body, headers=headers)
            assert put.status_code == 200, put.text
        return Person(
            user_id, email, name, side, tokens["access_token"], tokens["refresh_token"], headers
        )

    return _make


@pytest.fixture
def make_staff(client: TestClient):  # type: ignore[no-untyped-def]
    """Create a coordinator (with regions) or admin the way the CLI does, and log in."""

    def _make(role: str = "coordinator", regions: list[str] | None = None) -> Person:
        _counter["n"] += 1
        email = f"{role}{_counter['n']}@example.org"
        with Session(get_engine()) as session:
            user = create_user(
                session=session,
                email=email,
                password_hash=hash_password(PASSWORD),
                name=f"{role.title()} {_counter['n']}",
                role=Role(role),
                regions=regions if role == "coordinator" else None,
            )
        tokens = login(client, email)
        assert user.id is not None
        return Person(
            user.id,
            email,
            user.name,
            None,
            tokens["access_token"],
            tokens["refresh_token"],
            {"Authorization": f"Bearer {tokens['access_token']}"},
        )

    return _make


def mutual_match(client: TestClient, a: Person, b: Person) -> dict[str, Any]:
    """a and b like each other; returns the match from b's like."""
    first = client.post(
        f"{API}/swipes", json={"target_id": b.id, "decision": "like"}, headers=a.headers
    )
    assert first.status_code == 201, first.text
    second = client.post(
        f"{API}/swipes", json={"target_id": a.id, "decision": "like"}, headers=b.headers
    )
    assert second.status_code == 201, second.text
    match = second.json()["match"]
    assert match is not None, second.text
    return match


def database_snapshot(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that a rejected request wrote nothing."""
    db.rollback()  # a fresh view of what is committed
    snapshot = {}
    for table in SQLModel.metadata.sorted_tables:
        rows = db.connection().execute(table.select()).all()
        snapshot[table.name] = sorted((tuple(row) for row in rows), key=repr)
    db.rollback()
    return snapshot
