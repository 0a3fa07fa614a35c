"""Settings from the environment (and an optional `.env`), with safe local defaults."""

from functools import cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "dev-insecure-change-me"  # noqa: S105 - refused outside development


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./jobtinder.db"
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    trial_days: int = Field(default=30, ge=1, le=365)
    trial_ending_notice_days: int = Field(default=5, ge=0, le=60)
    max_ongoing_matches: int = Field(default=1, ge=1, le=20)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    docs_enabled: bool = True
    redis_url: str | None = None
    # Brute-force limits (per fixed window); see app/ratelimit.py.
    login_failures_per_account: int = Field(default=10, ge=1)
    login_attempts_per_address: int = Field(default=60, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    registrations_per_address: int = Field(default=20, ge=1)
    likes_per_day: int = Field(default=200, ge=1)
    messages_per_minute: int = Field(default=30, ge=1)  # per sender, every conversation
    reports_per_day: int = Field(default=20, ge=1)  # per reporter
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    cors_origins: list[str] = Field(default_factory=list)
    retention_days: int = Field(default=730, ge=1)
    log_level: str = "info"
    # "fast" = Argon2 with minimal cost, for test suites only (refused outside ENVIRONMENT=test).
    password_hash_profile: Literal["production", "fast"] = "production"

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> "Settings":
        secret = self.secret_key.get_secret_value()
        if self.environment != "development" and (secret == PLACEHOLDER_SECRET or len(secret) < 32):
            raise ValueError("SECRET_KEY must be set to a random value of at least 32 characters")
        if self.password_hash_profile != "production" and self.environment != "test":
            raise ValueError("PASSWORD_HASH_PROFILE=fast is only allowed with ENVIRONMENT=test")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@cache
def get_settings() -> Settings:
    return Settings()
