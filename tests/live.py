"""Helpers for tests that talk to a real server process over HTTP."""

import socket
from typing import Any

import httpx

from tests.conftest import API, COMPLETE_PROFILE, PASSWORD


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def register_participant(http: httpx.Client, side: str, tag: str) -> dict[str, Any]:
    """Register, log in and complete a profile over HTTP → {"id", "headers"}."""
    email = f"{tag}-{side}@example.org"
    reg = http.post(
        f"{API}/auth/register",
        json={"email": email, "password": PASSWORD, "name": f"{side} {tag}", "side": side},
    )
    assert reg.status_code == 201, reg.text
    token = http.post(f"{API}/auth/token", data={"username": email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    put = http.put(f"{API}/me/profile", json=COMPLETE_PROFILE[side], headers=headers)
    assert put.status_code == 200, put.text
    return {"id": reg.json()["id"], "headers": headers}
