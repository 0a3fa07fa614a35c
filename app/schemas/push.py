"""Web Push: the browser's PushSubscription JSON, validated."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.services.push import b64url_decode, endpoint_allowed, valid_p256dh

B64URL = r"^[A-Za-z0-9_-]+={0,2}$"

EXAMPLE_ENDPOINT = "https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91bF"
EXAMPLE_P256DH = (
    "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
)
EXAMPLE: dict[str, Any] = {
    "endpoint": EXAMPLE_ENDPOINT,
    "expirationTime": None,
    "keys": {"p256dh": EXAMPLE_P256DH, "auth": "tBHItJI5svbpez7KI4CCXg"},
}


class PushKeys(BaseModel):
    model_config = ConfigDict(extra="ignore")

    p256dh: str = Field(min_length=80, max_length=100, pattern=B64URL)
    auth: str = Field(min_length=16, max_length=30, pattern=B64URL)

    @field_validator("p256dh")
    @classmethod
    def _point(cls, value: str) -> str:
        if not valid_p256dh(value):
            raise ValueError("p256dh must be an uncompressed P-256 public key (base64url)")
        return value

    @field_validator("auth")
    @classmethod
    def _secret(cls, value: str) -> str:
        try:
            raw = b64url_decode(value)
        except ValueError:
            raw = b""
        if len(raw) != 16:
            raise ValueError("auth must be a 16-byte secret (base64url)")
        return value


class PushSubscriptionIn(BaseModel):
    """`JSON.stringify(pushSubscription)` as the browser gives it."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"example": EXAMPLE})

    endpoint: str = Field(min_length=12, max_length=2048)
    expirationTime: float | None = Field(default=None, ge=0)  # noqa: N815 - the browser's name
    keys: PushKeys

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if not endpoint_allowed(value):
            raise ValueError("endpoint must be an https URL of a known push service")
        return value


class PushUnsubscribeIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"endpoint": EXAMPLE_ENDPOINT}})

    endpoint: str = Field(min_length=12, max_length=2048)


class PushSubscriptionOut(BaseModel):
    endpoint: str


class PublicKeyOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"public_key": EXAMPLE_P256DH}})

    public_key: str = Field(description="The VAPID public key: `applicationServerKey`.")
