"""Settings refuse an unsafe secret outside development."""

import pytest
from pydantic import ValidationError

from app.config import PLACEHOLDER_SECRET, Settings


@pytest.mark.parametrize("environment", ["production", "test"])
def test_the_placeholder_secret_is_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment=environment, secret_key=PLACEHOLDER_SECRET)
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment=environment, secret_key="too-short")


def test_development_runs_without_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "TRIAL_DAYS", "MAX_ONGOING_MATCHES", "PASSWORD_HASH_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(environment="development", secret_key=PLACEHOLDER_SECRET, _env_file=None)
    assert settings.database_url.startswith("sqlite")
    assert settings.trial_days == 30 and settings.max_ongoing_matches == 1


def test_a_real_secret_is_accepted_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PASSWORD_HASH_PROFILE", raising=False)
    assert Settings(environment="production", secret_key="k" * 40).environment == "production"
