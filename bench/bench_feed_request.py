"""Whole-request feed latency over a seeded database, single client, in process.

    .venv/bin/python bench/bench_feed_request.py --participants 100000 \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--requests 200]

Creates (or re-uses, with --reuse) the database `jobtinder_bench` (or --database) on that
server, migrates it, seeds N participants with `jobtinder seed`, then calls
GET /api/v1/feed?limit=20 as many different teachers through the ASGI app (no network),
started with its lifespan as a server starts it, and prints the startup time (which loads
the per-process feature store), median / p95 / p99 of the requests, and peak RSS. `--tick`
runs `jobtinder tick` first, so the feed orders by stored congestion prices.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def prepare(url: str, participants: int, reuse: bool, database: str = "jobtinder_bench") -> str:
    parsed = make_url(url).set(drivername="postgresql+psycopg")
    target = parsed.set(database=database)
    if not reuse:
        admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        admin.dispose()
    os.environ["DATABASE_URL"] = target.render_as_string(hide_password=False)
    if not reuse:
        root = Path(__file__).resolve().parent.parent
        subprocess.run([sys.executable, "-m", "app.cli", "migrate"], check=True, cwd=root)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "app.cli", "seed", "--participants", str(participants)],
            check=True,
            cwd=root,
            stdout=subprocess.DEVNULL,
        )
        print(f"seeded {participants} participants in {time.perf_counter() - start:.1f} s")
    return os.environ["DATABASE_URL"]


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    parser.add_argument("--database", default="jobtinder_bench", help="database to (re)create")
    parser.add_argument(
        "--tick", action="store_true", help="run `jobtinder tick` first (stores congestion prices)"
    )
    args = parser.parse_args()
    prepare(args.database_url, args.participants, args.reuse, args.database)
    if args.tick:
        root = Path(__file__).resolve().parent.parent
        subprocess.run([sys.executable, "-m", "app.cli", "tick"], check=True, cwd=root)

    from fastapi.testclient import TestClient
    from sqlalchemy import select
    from sqlmodel import col

    from app.db import new_session
    from app.main import create_app
    from app.models import Profile
    from app.tokens import create_access_token

    with new_session() as session:
        teachers = list(
            session.scalars(
                select(col(Profile.user_id))
                .where(col(Profile.side) == "teacher", col(Profile.complete))
                .order_by(col(Profile.user_id))
                .limit(args.requests)
            )
        )
    before = rss_mb()
    start = time.perf_counter()
    # As served: the lifespan opens the async pool and warms the feature store up.
    with TestClient(create_app()) as client:
        from app.services.feature_store import store

        arrays = sum(
            getattr(side.pool, name).nbytes
            for side in store._sides.values()
            for name in side.pool.__slots__
        )
        print(
            f"startup (loads the feature store): {(time.perf_counter() - start) * 1000:.0f} ms, "
            f"RSS growth {rss_mb() - before:.0f} MB (feature arrays {arrays / 1e6:.1f} MB)"
        )
        timings = []
        for teacher_id in teachers:
            token, _ = create_access_token(teacher_id)
            start = time.perf_counter()
            response = client.get(
                "/api/v1/feed?limit=20", headers={"Authorization": f"Bearer {token}"}
            )
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.text
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"participants={args.participants} requests={len(timings)} "
        f"median={statistics.median(timings):.1f} ms p95={pct(timings, 0.95):.1f} ms "
        f"p99={pct(timings, 0.99):.1f} ms peak RSS of the process={peak_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
