"""Helpers for tests that talk to a real server process over HTTP."""

import contextlib
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from threading import Barrier
from typing import Any, TypeVar

import httpx

from tests.conftest import API, COMPLETE_PROFILE, PASSWORD, verify_email

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def register_participant(
    http: httpx.Client, side: str, tag: str, *, database_url: str | None = None
) -> dict[str, Any]:
    """Register, verify the address, log in and complete a profile over HTTP → {"id",
    "headers"}. `database_url`: the server's database, when it is not the test database."""
    email = f"{tag}-{side}@example.org"
    reg = http.post(
        f"{API}/auth/register",
        json={"email": email, "password": PASSWORD, "name": f"{side} {tag}", "side": side},
    )
    assert reg.status_code == 201, reg.text
    verify_email(http, email, database_url=database_url)
    token = http.post(f"{API}/auth/token", data={"username": email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    put = http.put(f"{API}/me/profile", json=COMPLETE_PROFILE[side], headers=headers)
    assert put.status_code == 200, put.text
    return {"id": reg.json()["id"], "headers": headers}


@contextmanager
def live_server(
    env: dict[str, str] | None = None,
    *,
    workers: int = 2,
    command: list[str] | None = None,
    stderr: Any = None,
) -> Iterator[str]:
    """A real server process (uvicorn, `workers` processes) on the test database → base URL.

    `env` is added to this process's environment; `command` replaces the default uvicorn
    command line (use "{port}" where the port goes); `stderr` receives the server's log.
    """
    port = free_port()
    argv = command or [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:app",
        "--port",
        "{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    argv = [arg.replace("{port}", str(port)) for arg in argv]
    process = subprocess.Popen(argv, env=os.environ | (env or {}), stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("test server did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def running_server(workers: int = 3, **env: str) -> Iterator[str]:
    """A real uvicorn server with `workers` processes on the test database → its base URL.

    `env` adds settings for the server's processes (e.g. LIKES_PER_DAY="5").
    """
    with live_server(env, workers=workers) as base:
        yield base


@contextmanager
def serve(workers: int, **env: str) -> Iterator[str]:
    """The same, for the session tests: `serve(3, REFRESH_GRACE_SECONDS="2")`."""
    with live_server(env, workers=workers) as base:
        yield base


def staggered(
    calls: list[Callable[[], httpx.Response]], delays: list[float]
) -> list[httpx.Response]:
    """Run the calls in parallel threads, released together, each after its own delay (s).

    A race that needs one request to land inside a few milliseconds of another's work is hit
    by sweeping the delay between them over a range.
    """
    barrier = Barrier(len(calls))

    def run(index: int) -> httpx.Response:
        barrier.wait()
        if delays[index] > 0:
            time.sleep(delays[index])
        return calls[index]()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, range(len(calls))))


def all_at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Run the calls in parallel threads, released together by a barrier."""
    barrier = Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@contextlib.contextmanager
def run_server(
    log_path: Path, *, workers: int = 2, env: dict[str, str] | None = None
) -> Iterator[str]:
    """A real uvicorn server on the test database; fails the test if it logged a traceback."""
    with (
        log_path.open("wb") as log_file,
        live_server(env, workers=workers, stderr=log_file) as base,
    ):
        yield base
    logged = log_path.read_text(errors="replace")
    if "Traceback" in logged:
        raise AssertionError(f"the test server logged a traceback:\n{logged}")


@dataclass
class SseEvent:
    id: int | None
    event: str
    data: Any


class SseReader:
    """Reads a Server-Sent Events stream in a thread; events land in `queue`."""

    def __init__(self, url: str, *, headers: dict[str, str] | None = None) -> None:
        self.queue: queue.Queue[SseEvent] = queue.Queue()
        self.comments: list[str] = []
        self.status: int | None = None
        self.opened = threading.Event()
        self._stop = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(30, read=60))
        self._thread = threading.Thread(target=self._run, args=(url, headers or {}), daemon=True)
        self._thread.start()
        if not self.opened.wait(15):
            raise AssertionError("the stream did not open")

    def _run(self, url: str, headers: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                self._response = response
                self.status = response.status_code
                self.opened.set()
                if response.status_code != 200:
                    response.read()
                    self.body = response.text
                    return
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith(":"):
                        self.comments.append(line)
                    elif line == "":
                        if "data" in fields:
                            self.queue.put(
                                SseEvent(
                                    int(fields["id"]) if "id" in fields else None,
                                    fields.get("event", "message"),
                                    json.loads(fields["data"]),
                                )
                            )
                        fields = {}
                    else:
                        name, _, value = line.partition(":")
                        fields[name] = value.removeprefix(" ")
        except (httpx.HTTPError, RuntimeError, OSError, ValueError):
            self.opened.set()

    def take(self, count: int, timeout: float = 10) -> list[SseEvent]:
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"got {len(got)} of {count} events: {got}")
            try:
                got.append(self.queue.get(timeout=remaining))
            except queue.Empty:
                continue
        return got

    def close(self) -> None:
        self._stop.set()
        response = getattr(self, "_response", None)
        if response is not None:
            with contextlib.suppress(Exception):
                response.close()
        self._client.close()
        self._thread.join(timeout=10)
