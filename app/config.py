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
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    cors_origins: list[str] = Field(default_factory=list)
    retention_days: int = Field(default=730, ge=1)
    # Profile photos (app/services/photos.py). Stored in MEDIA_DIR, or in an S3-compatible
    # bucket when S3_BUCKET is set (credentials from boto3's usual AWS_* variables).
    media_dir: str = "./media"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    photo_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    photo_max_pixels: int = Field(default=25_000_000, ge=10_000, le=100_000_000)
    photo_url_seconds: int = Field(default=900, ge=60, le=3600)
    photo_concurrency: int = Field(default=2, ge=1, le=32)
    media_base_url: str = ""  # e.g. a CDN in front of /media; default: relative URLs
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
