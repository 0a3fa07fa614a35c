"""The periodic congestion-price computation of `jobtinder tick`, timed (a benchmark).

    .venv/bin/python bench/bench_tick.py --participants 10000 \\
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--reuse]

Seeds N participants (half teachers, half professionals) with `jobtinder seed` into the
database `jobtinder_tick` (or --database), then runs the price computation
(`app.services.congestion.compute_prices`: read the free market, score every pair within
both travel limits, solve the equilibrium, store the prices) twice: cold, then warm-started
from the prices the first run stored. Prints wall and CPU time of each run and the peak RSS
of the process (and its growth over the process before the first run).
"""

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_feed_request import prepare, rss_mb  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--database", default="jobtinder_tick")
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    args = parser.parse_args()
    prepare(args.database_url, args.participants, args.reuse, args.database)

    from sqlalchemy import delete

    from app.db import new_session
    from app.models import CongestionPrice
    from app.services.congestion import compute_prices

    with new_session(write=True) as session:  # a cold start: no stored prices to start from
        session.execute(delete(CongestionPrice))
        session.commit()
    before = rss_mb()
    for run in ("cold", "warm"):
        wall, cpu = time.perf_counter(), time.process_time()
        with new_session() as session:
            report = compute_prices(session=session)
        print(
            f"{run}: {report.teachers} teachers x {report.professionals} professionals, "
            f"{report.pairs} possible pairs, {report.sweeps} sweeps, residual "
            f"{report.residual:.1e}: wall {time.perf_counter() - wall:.1f} s, "
            f"CPU {time.process_time() - cpu:.1f} s"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB (process before the first run: {before:.0f} MB)")


if __name__ == "__main__":
    main()
