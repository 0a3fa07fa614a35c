"""Whole-request feed latency over a seeded database, single client, in process.

    .venv/bin/python bench/bench_feed_request.py --participants 100000 \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--requests 200]

Creates (or re-uses, with --reuse) the database `jobtinder_bench` (or --database) on that
server, migrates it, seeds N participants with `jobtinder seed`, then calls
GET /api/v1/feed?limit=20 as many different teachers through the ASGI app (no network),
started with its lifespan as a server starts it, and prints the startup time (which loads
the per-process feature store) twice: cold (no snapshot yet, in a fresh snapshot directory)
and from the snapshot the first start wrote (app/services/feature_snapshot.py), with
--touch N profiles changed in between; then median / p95 / p99 of the requests, and peak RSS.
`--tick` runs `jobtinder tick` first, so the feed orders by stored congestion prices.
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
    parser.add_argument(
        "--touch",
        type=int,
        default=100,
        help="profiles changed between the cold start and the start from the snapshot",
    )
    args = parser.parse_args()
    import tempfile

    os.environ["FEATURE_SNAPSHOT_DIR"] = tempfile.mkdtemp(prefix="jobtinder-bench-features-")
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
    sessions = {uid: f"bench{uid}" for uid in teachers}
    with new_session() as session:
        session.execute(text("DELETE FROM login_sessions WHERE id LIKE 'bench%'"))
        session.execute(
            text(
                "INSERT INTO login_sessions (id, user_id, created_at, last_used_at) "
                "SELECT 'bench' || u, u, now(), now() FROM unnest(CAST(:ids AS integer[])) u"
            ),
            {"ids": teachers},
        )
        session.commit()

    from app.services import feature_snapshot
    from app.services.feature_store import store

    def start_app(label: str) -> TestClient:
        store.clear()
        before = rss_mb()
        start = time.perf_counter()
        client = TestClient(create_app())
        client.__enter__()  # the lifespan: opens the async pool, loads the feature store
        arrays = sum(
            getattr(side.pool, name).nbytes
            for side in store._sides.values()
            for name in side.pool.__slots__
        )
        print(
            f"startup {label}: {(time.perf_counter() - start) * 1000:.0f} ms, "
            f"RSS growth {rss_mb() - before:.0f} MB (feature arrays {arrays / 1e6:.1f} MB)"
        )
        feature_snapshot.wait_for_writes()
        return client

    start_app("cold (no snapshot)").__exit__(None, None, None)
    with new_session() as session:
        session.execute(
            text(
                "UPDATE profiles SET hours_per_month = hours_per_month + 1, updated_at = now() "
                "WHERE user_id IN (SELECT user_id FROM profiles ORDER BY random() LIMIT :n)"
            ),
            {"n": args.touch},
        )
        session.execute(text("UPDATE feature_versions SET version = version + 1"))
        session.commit()
    client = start_app(f"from the snapshot ({args.touch} profiles changed since)")
    try:
        timings = []
        for teacher_id in teachers:
            token, _ = create_access_token(teacher_id, sessions[teacher_id])
            start = time.perf_counter()
            response = client.get(
                "/api/v1/feed?limit=20", headers={"Authorization": f"Bearer {token}"}
            )
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.text
    finally:
        client.__exit__(None, None, None)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"participants={args.participants} requests={len(timings)} "
        f"median={statistics.median(timings):.1f} ms p95={pct(timings, 0.95):.1f} ms "
        f"p99={pct(timings, 0.99):.1f} ms peak RSS of the process={peak_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
