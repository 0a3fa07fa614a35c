"""Settings from the environment (and an optional `.env`), with safe local defaults."""

from functools import cache
from pathlib import Path
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
    # Prefix of every Redis key (one Redis may serve several deployments or test runs).
    redis_key_prefix: str = Field(default="jobtinder:", max_length=100)
    # Brute-force limits (per fixed window); see app/ratelimit.py.
    login_failures_per_account: int = Field(default=10, ge=1)
    login_attempts_per_address: int = Field(default=60, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    registrations_per_address: int = Field(default=20, ge=1)
    likes_per_day: int = Field(default=200, ge=1)
    # Each API process loads the feature store from a snapshot file, re-reading only the
    # profiles changed since (app/services/feature_snapshot.py; PostgreSQL only).
    feature_snapshots: bool = True
    feature_snapshot_dir: str = ""  # default: <system temp dir>/jobtinder-features
    # Account lifecycle (app/services/sessions.py, app/services/account_tokens.py).
    revocation_refresh_seconds: float = Field(default=2.0, gt=0, le=60)
    refresh_grace_seconds: int = Field(default=30, ge=0, le=300)
    email_verification_hours: int = Field(default=48, ge=1, le=30 * 24)
    password_reset_minutes: int = Field(default=30, ge=5, le=24 * 60)
    verification_mails_per_hour: int = Field(default=5, ge=1)
    password_resets_per_account: int = Field(default=5, ge=1)  # per hour
    password_resets_per_address: int = Field(default=20, ge=1)  # per hour
    token_failures_per_address: int = Field(default=20, ge=1)  # per LOGIN_WINDOW_SECONDS
    messages_per_minute: int = Field(default=30, ge=1)  # per sender, every conversation
    reports_per_day: int = Field(default=20, ge=1)  # per reporter
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
    # The built web app served at /app (`make web` builds web/ into web/dist).
    web_app_dir: str = str(Path(__file__).resolve().parent.parent / "web" / "dist")
    log_level: str = "info"
    # "fast" = Argon2 with minimal cost, for test suites only (refused outside ENVIRONMENT=test).
    password_hash_profile: Literal["production", "fast"] = "production"
    # Mail (app/mail, app/services/outbox.py). Without SMTP_HOST, mails are written to
    # MAIL_DIR, one .eml file each (development).
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    mail_from: str = "Job Tinder <noreply@jobtinder.localhost>"
    public_app_url: str = "http://127.0.0.1:8000"
    mail_dir: str = "./var/mail"
    # None: run the delivery loop inside the API process on SQLite or in development.
    mail_worker_in_process: bool | None = None
    mail_poll_seconds: float = Field(default=2.0, gt=0, le=3600)
    mail_max_attempts: int = Field(default=8, ge=1, le=100)
    mail_retry_base_seconds: float = Field(default=30.0, gt=0)
    mail_retry_max_seconds: float = Field(default=900.0, gt=0)
    # Password hashes computed or verified at the same time in one process (Argon2 uses
    # 64 MiB and all cores for ~0.1-0.5 s); more wait up to PASSWORD_HASH_WAIT_SECONDS for a
    # turn, then get 429; see security.py.
    password_hash_concurrency: int = Field(default=2, ge=1, le=64)
    password_hash_wait_seconds: float = Field(default=10, gt=0, le=120)
    # Live events (app/services/events.py, app/routers/events.py).
    events_ticket_seconds: int = Field(default=60, ge=5, le=600)
    events_heartbeat_seconds: float = Field(default=15.0, gt=0, le=300)
    events_slow_client_seconds: float = Field(default=10.0, gt=0, le=300)
    events_keep_days: int = Field(default=14, ge=1, le=365)
    # Web Push (app/services/push.py). Without VAPID_PRIVATE_KEY, no pushes are queued.
    vapid_private_key: SecretStr | None = None
    vapid_subject: str = "mailto:noreply@jobtinder.localhost"
    push_max_attempts: int = Field(default=5, ge=1, le=100)
    push_ttl_seconds: int = Field(default=24 * 3600, ge=0, le=28 * 24 * 3600)
    # Push services the worker may POST to (host suffixes): the browsers' own by default.
    push_allowed_hosts: list[str] = Field(
        default_factory=lambda: [
            "fcm.googleapis.com",
            "push.services.mozilla.com",
            "push.apple.com",
            "notify.windows.com",
        ]
    )
    # http:// endpoints (a local push service in tests); refused in production.
    push_allow_http: bool = False

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> "Settings":
        secret = self.secret_key.get_secret_value()
        if self.environment != "development" and (secret == PLACEHOLDER_SECRET or len(secret) < 32):
            raise ValueError("SECRET_KEY must be set to a random value of at least 32 characters")
        if self.password_hash_profile != "production" and self.environment != "test":
            raise ValueError("PASSWORD_HASH_PROFILE=fast is only allowed with ENVIRONMENT=test")
        if self.push_allow_http and self.environment == "production":
            raise ValueError("PUSH_ALLOW_HTTP is not allowed with ENVIRONMENT=production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def runs_mail_worker_in_process(self) -> bool:
        if self.mail_worker_in_process is not None:
            return self.mail_worker_in_process
        return self.is_sqlite or self.environment == "development"


@cache
def get_settings() -> Settings:
    return Settings()
