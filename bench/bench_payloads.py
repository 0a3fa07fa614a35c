"""What the client-ready contract costs and saves on the wire: payload sizes plain and gzipped,
gzip's CPU per feed page, and what revalidation (ETag / If-None-Match → 304) saves.

Builds a throwaway SQLite database with the demo data (`jobtinder seed`) and asks the app in
process (no network): sizes are exact; times are CPU time of this process per request, so
they hold on a busy machine better than wall time would.

    .venv/bin/python -m bench.bench_payloads [--participants 300] [--requests 300]

The revalidation figure replays an app's week: each demo participant opens the app
`--opens` times; each open revalidates GET /me and the partner-to-be's card
(GET /profiles/{id}, the best card of the deck) with the ETags it holds, and the vocabulary once
its day of `max-age` has passed (every 3rd open here); before a random `--edit-share` of the
opens the participant edited their profile. The 304 rate is the share of revalidations that
answered 304.
"""

import argparse
import gzip
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _cpu_us(fn: Any, repeat: int) -> float:
    """Median CPU microseconds of one call, over `repeat` calls in batches."""
    samples = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(repeat // 5):
            fn()
        samples.append((time.process_time() - start) / (repeat // 5) * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--people", type=int, default=40, help="participants in the replay")
    parser.add_argument("--opens", type=int, default=14)
    parser.add_argument("--edit-share", type=float, default=0.1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {
            "DATABASE_URL": f"sqlite:///{tmp}/sizes.db",
            "ENVIRONMENT": "development",
            "MAIL_DIR": f"{tmp}/mail",
            "MEDIA_DIR": f"{tmp}/media",
        }
        env.pop("REDIS_URL", None)
        jobtinder = str(Path(sys.executable).with_name("jobtinder"))
        subprocess.run([jobtinder, "migrate"], env=env, check=True, capture_output=True)
        seed = [jobtinder, "seed", "--participants", str(args.participants)]
        subprocess.run(seed, env=env, check=True, capture_output=True)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        from fastapi.testclient import TestClient

        from app.main import create_app
        from app.seed import DEMO_PASSWORD

        with TestClient(create_app()) as client:
            auth = _login(client, "docent@example.org", DEMO_PASSWORD)
            _sizes(client, auth)
            _gzip_cost(client, auth, args.requests)
            _revalidation(client, args, DEMO_PASSWORD)


def _login(client: Any, email: str, password: str) -> dict[str, str]:
    login = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def _raw(client: Any, path: str, headers: dict[str, str]) -> tuple[bytes, str]:
    with client.stream("GET", path, headers=headers) as response:
        response.raise_for_status()
        return b"".join(response.iter_raw()), response.headers.get("content-encoding", "identity")


def _sizes(client: Any, auth: dict[str, str]) -> None:
    card = client.get("/api/v1/feed?limit=1", headers=auth).json()["items"][0]["profile"]["id"]
    print("payload sizes (bytes on the wire):")
    print(f"  {'answer':<28} {'plain':>8} {'gzip':>8} {'ratio':>6}")
    for label, path, headers in (
        ("GET /feed?limit=20", "/api/v1/feed?limit=20", auth),
        ("GET /feed?limit=20 (en)", "/api/v1/feed?limit=20", auth | {"Accept-Language": "en"}),
        ("GET /vocabulary", "/api/v1/vocabulary", {}),
        ("GET /me", "/api/v1/me", auth),
        ("GET /profiles/{id}", f"/api/v1/profiles/{card}", auth),
    ):
        plain, _ = _raw(client, path, headers | {"Accept-Encoding": "identity"})
        packed, sent = _raw(client, path, headers | {"Accept-Encoding": "gzip"})
        size = f"{len(packed):>8}" if sent == "gzip" else f"{'(plain)':>8}"
        ratio = f"{len(packed) / len(plain):>6.2f}" if sent == "gzip" else f"{'':>6}"
        print(f"  {label:<28} {len(plain):>8} {size} {ratio}")


def _gzip_cost(client: Any, auth: dict[str, str], requests: int) -> None:
    path = "/api/v1/feed?limit=20"
    body, _ = _raw(client, path, auth | {"Accept-Encoding": "identity"})
    level6 = _cpu_us(lambda: gzip.compress(body, compresslevel=6), 2000)
    plain = _cpu_us(lambda: _through_middleware(body, b"identity"), requests)
    packed = _cpu_us(lambda: _through_middleware(body, b"gzip, deflate, br"), requests)
    print("gzip's CPU on the feed page of 20 (CPU µs, median of 5 batches):")
    print(f"  zlib level 6 on the body alone          {level6:8.0f} µs")
    print(f"  the Compression middleware, identity    {plain:8.0f} µs")
    print(f"  the Compression middleware, gzip        {packed:8.0f} µs  ({packed - plain:+.0f} µs)")


def _through_middleware(body: bytes, accept: bytes) -> None:
    """One answer of this body through the API's Compression middleware (ASGI, in process)."""
    import asyncio

    from app.middleware import Compression

    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"accept-encoding", accept)],
    }
    asyncio.run(Compression(app, minimum_size=1024)(scope, receive, send))


def _revalidation(client: Any, args: argparse.Namespace, password: str) -> None:
    from sqlmodel import Session, select

    from app.db import get_engine
    from app.models import User

    rng = random.Random(2016)
    with Session(get_engine()) as session:
        emails = list(
            session.scalars(
                select(User.email).where(User.role == "participant").order_by(User.id)  # type: ignore[arg-type]
            )
        )[: args.people]
    counts = {"200": 0, "304": 0, "bytes_200": 0, "bytes_saved": 0}
    per_path: dict[str, list[int]] = {}
    for email in emails:
        if email is None:
            continue
        auth = _login(client, email, password)
        feed = client.get("/api/v1/feed?limit=1", headers=auth).json()["items"]
        card = f"/api/v1/profiles/{feed[0]['profile']['id']}" if feed else None
        tags: dict[str, str] = {}
        sizes: dict[str, int] = {}
        for open_number in range(args.opens):
            if open_number and rng.random() < args.edit_share:
                hours = rng.choice([4, 6, 8, 10, 12])
                client.patch("/api/v1/me/profile", json={"hours_per_month": hours}, headers=auth)
            paths = ["/api/v1/me"] + ([card] if card else [])
            if open_number % 3 == 0:
                paths.append("/api/v1/vocabulary")
            for path in paths:
                headers = dict(auth) | ({"If-None-Match": tags[path]} if path in tags else {})
                response = client.get(path, headers=headers)
                tags[path] = response.headers["etag"]
                if response.status_code == 200:
                    sizes[path] = len(response.content)
                if "If-None-Match" not in headers:
                    continue  # the first fetch is no revalidation
                key = path if "/profiles/" not in path else "/api/v1/profiles/{id}"
                per_path.setdefault(key, []).append(response.status_code)
                if response.status_code == 304:
                    counts["304"] += 1
                    counts["bytes_saved"] += sizes.get(path, 0)
                else:
                    counts["200"] += 1
                    counts["bytes_200"] += len(response.content)
    total = counts["200"] + counts["304"]
    print(
        f"revalidation replay: {len(emails)} participants x {args.opens} opens, "
        f"{args.edit_share:.0%} of opens after a profile edit:"
    )
    for path, statuses in sorted(per_path.items()):
        rate = statuses.count(304) / len(statuses)
        print(f"  {path:<28} {len(statuses):>5} revalidations, 304 rate {rate:6.1%}")
    print(
        f"  all                          {total:>5} revalidations, 304 rate "
        f"{counts['304'] / total:6.1%}; body bytes saved {counts['bytes_saved']}, "
        f"sent {counts['bytes_200']}"
    )


if __name__ == "__main__":
    main()
