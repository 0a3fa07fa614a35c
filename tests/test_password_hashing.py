"""Password hashing on production parameters (the rest of the suite runs a cheap profile)."""

import pytest
from pydantic import ValidationError

from app import security
from app.config import Settings, get_settings

SECRET = "a-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def production_hashing(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PASSWORD_HASH_PROFILE", "production")
    get_settings.cache_clear()
    security._hasher.cache_clear()
    security._dummy_hash.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()
    security._hasher.cache_clear()
    security._dummy_hash.cache_clear()


def test_production_hashes_are_argon2id_with_the_library_defaults(production_hashing) -> None:  # type: ignore[no-untyped-def]
    stored = security.hash_password("een-lang-wachtwoord")
    assert stored.startswith("$argon2id$")
    # pwdlib/argon2-cffi defaults (RFC 9106 low-memory profile): 64 MiB, 3 passes, 4 lanes.
    assert "m=65536,t=3,p=4" in stored
    assert security.verify_password("een-lang-wachtwoord", stored)
    assert not security.verify_password("een-ander-wachtwoord", stored)
    assert not security.verify_password("een-lang-wachtwoord", None)


def test_hashes_of_the_fast_profile_still_verify_in_production(production_hashing) -> None:  # type: ignore[no-untyped-def]
    from pwdlib.hashers.argon2 import Argon2Hasher

    cheap = Argon2Hasher(**security._FAST_ARGON2).hash("een-lang-wachtwoord")
    assert "m=1024,t=1,p=1" in cheap
    assert security.verify_password("een-lang-wachtwoord", cheap)


def test_the_suite_itself_runs_the_fast_profile() -> None:
    assert "m=1024,t=1,p=1" in security.hash_password("x" * 12)


@pytest.mark.parametrize("environment", ["development", "production"])
def test_the_fast_profile_is_refused_outside_tests(
    monkeypatch: pytest.MonkeyPatch, environment: str
) -> None:
    monkeypatch.delenv("PASSWORD_HASH_PROFILE", raising=False)
    with pytest.raises(ValidationError, match="PASSWORD_HASH_PROFILE"):
        Settings(environment=environment, secret_key=SECRET, password_hash_profile="fast")  # type: ignore[arg-type]
    assert Settings(environment="test", secret_key=SECRET, password_hash_profile="fast")  # type: ignore[arg-type]
