"""Helpers for tests that talk to a real server process over HTTP."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tests.conftest import API, COMPLETE_PROFILE, PASSWORD, verify_email


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
def serve(workers: int, **env: str) -> Iterator[str]:
    """A real uvicorn server with several worker processes on the test database → its URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=os.environ | env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Generous: several worker processes start on a machine that may be busy.
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
