"""The access-token revocation check (app/services/revocation.py), timed (a benchmark).

    .venv/bin/python bench/bench_revocation.py [--revoked 0 10000 100000] \\
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Creates the database `jobtinder_revocation`, migrates it, and for each N: stores N revoked
login sessions, then times what every API process does (1) on every request with a bearer
token — the set lookup `is_revoked` — and (2) every REVOCATION_REFRESH_SECONDS when the
version row moved — `refresh`, which re-reads the set — and the same `refresh` when nothing
changed (one primary-key read). The load side of it (the swipe with a full set that is
re-read every 2 s, beside the same swipe with an empty set) is `bench/load.py --only
swipe,swipe_revoked`.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--revoked", type=int, nargs="+", default=[0, 10_000, 100_000])
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    args = parser.parse_args()
    parsed = make_url(args.database_url).set(drivername="postgresql+psycopg")
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "jobtinder_revocation" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "jobtinder_revocation"'))
    admin.dispose()
    url = parsed.set(database="jobtinder_revocation").render_as_string(hide_password=False)
    os.environ["DATABASE_URL"] = url
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], check=True, cwd=ROOT)

    from app.db import session_scope
    from app.services.revocation import bump_version, revocations

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (email, name, role, created_at) "
                "VALUES ('bench@example.org', 'Bench', 'participant', now())"
            )
        )
    print(
        f"{'revoked':>8} {'is_revoked µs':>14} {'refresh, changed ms':>20} {'refresh, same ms':>17}"
    )
    for count in args.revoked:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM login_sessions"))
            conn.execute(
                text(
                    "INSERT INTO login_sessions (id, user_id, created_at, last_used_at, "
                    "revoked_at) SELECT 'r' || g, (SELECT min(id) FROM users), now(), now(), "
                    "now() FROM generate_series(1, :n) g"
                ),
                {"n": count},
            )
        changed, same = [], []
        for _ in range(20):
            with session_scope() as session:
                bump_version(session)
                session.commit()
            revocations._checked_at = float("-inf")
            start = time.perf_counter()
            revocations.refresh()
            changed.append((time.perf_counter() - start) * 1000)
            revocations._checked_at = float("-inf")
            start = time.perf_counter()
            revocations.refresh()
            same.append((time.perf_counter() - start) * 1000)
        probes = [f"r{n}" for n in range(1, 2001)] + [f"x{n}" for n in range(2000)]
        start = time.perf_counter()
        for _ in range(50):
            for probe in probes:
                revocations.is_revoked(probe)
        lookup = (time.perf_counter() - start) / (50 * len(probes)) * 1e6
        print(
            f"{count:>8} {lookup:>14.3f} {statistics.median(changed):>20.1f} "
            f"{statistics.median(same):>17.2f}"
        )
    engine.dispose()


if __name__ == "__main__":
    main()
