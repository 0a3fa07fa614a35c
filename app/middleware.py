"""ASGI middleware: request body size limit, no NUL characters in any request text, and
response headers for personal data."""

import json
from typing import Any
from urllib.parse import parse_qsl

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import CONTENT_TOO_LARGE, PROBLEM_JSON, TEXT_HAS_NUL, validation_problem
from app.i18n import negotiate


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413, whether announced or streamed.

    `per_route` raises (or lowers) the limit for single (method, path) pairs: the photo
    upload, and only it, may send megabytes."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, per_route: dict[tuple[str, str], int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_route = per_route or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.max_bytes
        if self.per_route:
            max_bytes = self.per_route.get((scope["method"], scope["path"]), max_bytes)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > max_bytes):
            await _too_large(send, max_bytes, negotiate(headers.get(b"accept-language")))
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
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
                await _too_large(send, max_bytes, negotiate(headers.get(b"accept-language")))


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


NUL_MESSAGE = "Text must not contain NUL characters (U+0000)."
_NUL_ERROR_TYPE = "string_nul"
_RAW_NUL = b"\x00"
_ESCAPED_NUL = b"\\u0000"  # how JSON writes U+0000
_QUOTED_NUL = b"%00"  # how a query string or urlencoded form writes it
_LARGE_BODY = 256 * 1024


class RejectNul:
    """No text in any request may contain U+0000: PostgreSQL cannot store it in a text column,
    and no field of ours has a use for it. One rule for the path, the query string and the body
    (JSON, urlencoded and multipart forms), whatever the route: 422 problem+json with the
    `loc` of the offending value, before the route runs (so nothing is written).

    Cheap on the hot paths: a byte scan of the raw query string and body; only a hit is
    decoded, to tell a real NUL from text that merely looks like one (`%2500`, `\\u0000`).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loc = _nul_in_path_or_query(scope)
        if loc is not None:
            await _reject(scope, receive, send, loc)
            return
        if not _has_body(scope):
            await self.app(scope, receive, send)
            return
        body, last = await _read_body(receive)
        if last["type"] == "http.request" and (
            _RAW_NUL in body or _ESCAPED_NUL in body or _QUOTED_NUL in body
        ):
            loc = await _nul_in_body(scope, body)
            if loc is not None:
                await _reject(scope, receive, send, loc)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                if last["type"] == "http.request":
                    return {"type": "http.request", "body": body, "more_body": False}
                return last
            return await receive()

        await self.app(scope, replay, send)


def _has_body(scope: Scope) -> bool:
    for name, _ in scope.get("headers") or ():
        if name in (b"content-length", b"transfer-encoding"):
            return True
    return False


async def _read_body(receive: Receive) -> tuple[bytes, Message]:
    """The whole body (the size limit outside this middleware bounds it), and the last
    message (a disconnect ends the reading early)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), message


def _nul_in_path_or_query(scope: Scope) -> list[str | int] | None:
    if "\x00" in scope.get("path", ""):
        return ["path"]
    query: bytes = scope.get("query_string", b"")
    if _QUOTED_NUL in query or _RAW_NUL in query:
        return _nul_in_pairs(query.decode("latin-1"), "query")
    return None


def _nul_in_pairs(encoded: str, where: str) -> list[str | int] | None:
    for name, value in parse_qsl(encoded, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return [where, name.replace("\x00", "")]
    return None


async def _nul_in_body(scope: Scope, body: bytes) -> list[str | int] | None:
    headers = Headers(scope=scope)
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        return _nul_in_pairs(body.decode("latin-1"), "body")
    if content_type == "multipart/form-data":
        return await _nul_in_multipart(headers, body)
    try:
        value = json.loads(body)  # as FastAPI decodes it (UTF-8, -16 or -32)
    except (ValueError, RecursionError):
        return None  # not JSON (or nested beyond reason): the route answers that itself
    return _first_nul(value)


def _first_nul(value: Any) -> list[str | int] | None:
    """The loc of the first string (or object key) holding a NUL; a loop, not recursion, so
    that no nesting depth the JSON decoder accepts can overflow the stack here."""
    pending: list[tuple[Any, list[str | int]]] = [(value, ["body"])]
    while pending:
        item, loc = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return loc
        elif isinstance(item, list):
            pending.extend((child, [*loc, index]) for index, child in enumerate(item))
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    return [*loc, key.replace("\x00", "")]
                pending.append((child, [*loc, key]))
    return None


async def _nul_in_multipart(headers: Headers, body: bytes) -> list[str | int] | None:
    if len(body) > _LARGE_BODY:  # a photo upload: ~15 ms per 10 MB, off the event loop
        return await run_in_threadpool(_nul_in_multipart_fields, headers, body)
    return _nul_in_multipart_fields(headers, body)


def _nul_in_multipart_fields(headers: Headers, body: bytes) -> list[str | int] | None:
    """The loc of the first field name or text field holding a NUL.

    Uploaded files are bytes, not text: only field names and text fields count, so file
    parts are skipped as the parser passes them (a 10 MB photo is neither copied nor spooled
    to disk here; the route parses the body itself)."""
    _, options = parse_options_header(headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if not boundary:
        return None
    parts: list[tuple[bytes, bool, bytes]] = []  # name, is a file, text (files: empty)
    header_field = bytearray()
    header_value = bytearray()
    part_headers: dict[bytes, bytes] = {}
    current: dict[str, Any] = {}

    def on_part_begin() -> None:
        part_headers.clear()
        current.update(name=b"", file=False, chunks=[])

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        part_headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(part_headers.get(b"content-disposition", b""))
        current.update(name=disposition.get(b"name", b""), file=b"filename" in disposition)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if not current["file"]:
            current["chunks"].append(data[start:end])

    def on_part_end() -> None:
        parts.append((current["name"], current["file"], b"".join(current["chunks"])))

    callbacks: Any = {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    }
    try:
        parser = MultipartParser(boundary, callbacks)
        parser.write(body)
        parser.finalize()
    except MultipartParseError:
        return None  # the route answers that itself
    for name, is_file, text in parts:
        if _RAW_NUL in name or (not is_file and _RAW_NUL in text):
            return ["body", name.decode("latin-1").replace("\x00", "")]
    return None


async def _reject(scope: Scope, receive: Receive, send: Send, loc: list[str | int]) -> None:
    lang = negotiate(Headers(scope=scope).get("accept-language"))
    response = validation_problem(
        [{"loc": loc, "msg": NUL_MESSAGE, "type": _NUL_ERROR_TYPE}], lang, TEXT_HAS_NUL
    )
    await response(scope, receive, send)


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
