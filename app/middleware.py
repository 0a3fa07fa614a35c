"""ASGI middleware: request body size limit and response headers for personal data."""

import json
from typing import Any

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import CONTENT_TOO_LARGE, PROBLEM_JSON
from app.i18n import negotiate


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413, whether announced or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await _too_large(send, self.max_bytes, negotiate(headers.get(b"accept-language")))
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, self.max_bytes, negotiate(headers.get(b"accept-language")))


async def _too_large(send: Send, max_bytes: int, lang: str) -> None:
    title, detail = CONTENT_TOO_LARGE.text(lang, {"max_bytes": max_bytes})
    body: dict[str, Any] = {
        "type": CONTENT_TOO_LARGE.type,
        "code": CONTENT_TOO_LARGE.code,
        "title": title,
        "status": 413,
        "detail": detail,
    }
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class SecurityHeaders:
    """`Cache-Control: no-store` on the API (personal data) and a few safe defaults."""

    def __init__(self, app: ASGIApp, api_prefix: str) -> None:
        self.app = app
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = str(scope.get("path", "")).startswith(self.api_prefix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                if private:
                    extra.append((b"cache-control", b"no-store"))
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Compression:
    """gzip for answers above `minimum_size` bytes, only when the client accepts it.

    A client that does not ask for gzip goes straight to the app (no wrapper, nothing
    buffered): the hot paths pay nothing for it.
    """

    def __init__(self, app: ASGIApp, minimum_size: int = 1024, compresslevel: int = 6) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=compresslevel)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers") or ():
                if name == b"accept-encoding" and b"gzip" in value:
                    await self.gzip(scope, receive, send)
                    return
        await self.app(scope, receive, send)
