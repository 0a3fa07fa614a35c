"""Live event streams on PostgreSQL: idle streams per worker, and cross-process delivery.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
        nice .venv/bin/python bench/bench_streams.py [--streams 2000] [--rate 200] [--seconds 20]

It creates (and drops first) the database `jobtinder_bench_streams` on that server, migrates
it, and creates plain participant rows with access tokens signed by a bench SECRET_KEY.

1. idle: one API process (`uvicorn --workers 1`); its RSS (from /proc) with 10 streams open,
   then with `--streams` idle streams open (raw asyncio sockets, bearer token, 100 users);
   memory growth per stream = (RSS after - RSS before) / (streams - 10).
2. delivery: two API processes (the "2 workers"), 50 users, each with one stream on each
   process. A separate process emits events through `app.services.events.emit` — the function
   the API's request handlers call — at `--rate` per second from 4 threads (paced on one
   schedule, as request threads would), each in its own transaction,
   each carrying its send time; every stream must receive every event of its user exactly
   once. Latency = receive time − send time (same machine clock), over all streams.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "jobtinder_bench_streams"


def setup_database(base_url: str) -> str:
    from sqlalchemy import create_engine, make_url, text

    parsed = make_url(base_url).set(drivername="postgresql+psycopg")
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    admin.dispose()
    return parsed.set(database=BENCH_DB).render_as_string(hide_password=False)


def make_users(count: int) -> list[tuple[int, str]]:
    from sqlmodel import Session

    from app import tokens
    from app.db import get_engine
    from app.models import User

    people = []
    with Session(get_engine()) as session:
        users = [
            User(
                email=f"bench{n}@example.org", name=f"Bench {n}", role="participant", side="teacher"
            )
            for n in range(count)
        ]
        session.add_all(users)
        session.commit()
        for user in users:
            assert user.id is not None
            people.append((user.id, tokens.create_access_token(user.id)[0]))
    return people


def start_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port), "--workers", "1"]
        + ["--log-level", "warning", "--backlog", "4096"],
        env=os.environ.copy(),
        stderr=log.open("wb"),
        cwd=ROOT,
    )
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit("server did not start: " + log.read_text())


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def open_stream(port: int, token: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"stream refused: {status!r}")
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    return reader, writer


async def drain_forever(reader: asyncio.StreamReader) -> None:
    while await reader.read(65536):
        pass


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def idle(streams: int, people: list[tuple[int, str]], logs: Path) -> dict[str, Any]:
    port = free_port()
    server = start_server(port, logs / "idle.log")
    try:
        opened: list[Any] = []
        tasks: list[asyncio.Task[None]] = []

        async def add(n: int) -> None:
            batch = [open_stream(port, people[i % len(people)][1]) for i in range(n)]
            for reader, writer in await asyncio.gather(*batch):
                opened.append(writer)
                tasks.append(asyncio.create_task(drain_forever(reader)))

        await add(10)
        await asyncio.sleep(3)
        before = rss_kib(server.pid)
        started = time.monotonic()
        while len(opened) < streams:
            await add(min(100, streams - len(opened)))
        opening = time.monotonic() - started
        await asyncio.sleep(20)  # past a heartbeat and a presence renewal
        after = rss_kib(server.pid)
        result = {
            "streams": len(opened),
            "rss_before_mib": round(before / 1024, 1),
            "rss_after_mib": round(after / 1024, 1),
            "kib_per_stream": round((after - before) / (len(opened) - 10), 1),
            "open_seconds": round(opening, 1),
        }
        for writer in opened:
            writer.close()
        for task in tasks:
            task.cancel()
        return result
    finally:
        server.terminate()
        server.wait(timeout=60)


async def delivery(
    rate: int, seconds: int, people: list[tuple[int, str]], logs: Path
) -> dict[str, Any]:
    ports = [free_port(), free_port()]
    servers = [start_server(p, logs / f"delivery-{i}.log") for i, p in enumerate(ports)]
    latencies: list[float] = []
    seen: dict[tuple[int, int], set[int]] = {}  # (port index, user) → seqs received
    duplicates = 0

    async def consume(index: int, user_id: int, token: str) -> None:
        nonlocal duplicates
        reader, _writer = await open_stream(ports[index], token)
        got = seen.setdefault((index, user_id), set())
        while line := await reader.readline():
            if line.startswith(b"data: "):
                event = orjson.loads(line[6:])
                if event["type"] != "message":
                    continue
                latencies.append(time.time() - event["data"]["sent_at"])
                if event["id"] in got:
                    duplicates += 1
                got.add(event["id"])

    try:
        consumers = [
            asyncio.create_task(consume(i, uid, token)) for uid, token in people for i in (0, 1)
        ]
        await asyncio.sleep(3)
        sent: dict[int, int] = {}
        lock = threading.Lock()
        threads = 4  # like API request threads: one emitter cannot commit 200/s here

        def emitter(part: int) -> None:
            from sqlmodel import Session

            from app.db import get_engine
            from app.services.events import emit

            engine = get_engine()
            total = rate * seconds
            start = time.monotonic()
            for n in range(part, total, threads):
                due = start + n / rate
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                user_id = people[n % len(people)][0]
                with Session(engine) as session:
                    emit(
                        session,
                        user_id=user_id,
                        type="message",
                        data={"match_id": 0, "sender_id": 0, "sent_at": time.time()},
                    )
                    session.commit()
                with lock:
                    sent[user_id] = sent.get(user_id, 0) + 1

        began = time.monotonic()
        workers = [threading.Thread(target=emitter, args=(k,), daemon=True) for k in range(threads)]
        for worker in workers:
            worker.start()
        while any(worker.is_alive() for worker in workers):
            await asyncio.sleep(0.2)
        achieved = sum(sent.values()) / (time.monotonic() - began)
        await asyncio.sleep(3)
        for task in consumers:
            task.cancel()
        expected = sum(sent.values()) * 2
        received = sum(len(s) for s in seen.values())
        missing = sum(
            sent.get(uid, 0) - len(seen.get((i, uid), set())) for uid, _ in people for i in (0, 1)
        )
        ordered = sorted(latencies)
        return {
            "events_emitted": sum(sent.values()),
            "emit_rate_per_s": round(achieved, 1),
            "deliveries_expected": expected,
            "deliveries_received": received,
            "missing": missing,
            "duplicates": duplicates,
            "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1),
        }
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--only", choices=["idle", "delivery"])
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL server")
    os.environ["DATABASE_URL"] = setup_database(base)
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789")
    os.environ["ENVIRONMENT"] = "test"
    os.environ["MAIL_WORKER_IN_PROCESS"] = "false"
    os.environ["ACCESS_TOKEN_MINUTES"] = "120"
    os.environ["DB_POOL_SIZE"] = "10"
    sys.path.insert(0, str(ROOT))
    from app.cli import migrate

    migrate()
    people = make_users(100)
    logs = Path("/tmp/jobtinder-bench-streams")
    logs.mkdir(exist_ok=True)
    if args.only != "delivery":
        print("idle:", orjson.dumps(asyncio.run(idle(args.streams, people, logs))).decode())
    if args.only != "idle":
        result = asyncio.run(delivery(args.rate, args.seconds, people[:50], logs))
        print("delivery:", orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
