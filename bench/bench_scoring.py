"""Benchmark of the ranking core: scoring one viewer against pools of 1k/10k/100k participants,
memory of the packed features, and coordinator pairing at 100/300/1000 per side.

    .venv/bin/python bench/bench_scoring.py [--sizes 1000 10000 100000] [--repeat 50]

Prints median and p95 per size. No database involved: this is the pure NumPy core.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.matching.congestion import ordering_price  # noqa: E402
from app.matching.features import Participant, Pool, build_pool  # noqa: E402
from app.matching.pairing import best_pairing  # noqa: E402
from app.matching.scoring import rank_page  # noqa: E402
from app.vocabulary import get_vocabulary  # noqa: E402


def synthetic(
    n: int, side: str, rng: random.Random, region: str | None = None
) -> list[Participant]:
    vocab = get_vocabulary()
    places = [p for p in vocab.places.values() if region is None or p.region == region]
    group = "school" if side == "teacher" else "field"
    subjects = [s["code"] for s in vocab.subjects if s["group"] == group]
    goals = [g["code"] for g in vocab.goals]
    outcomes = [o["code"] for o in vocab.outcomes]
    people = []
    for i in range(n):
        place = rng.choice(places)
        start = rng.randint(1, 12)
        people.append(
            Participant(
                user_id=i + (0 if side == "teacher" else 10_000_000),
                side=side,
                subjects=tuple(rng.sample(subjects, rng.randint(1, 3))),
                lat=place.lat,
                lon=place.lon,
                region=place.region,
                max_travel_km=rng.choice((15, 30, 60)),
                hours_per_month=rng.choice((4, 6, 8, 10)),
                months=tuple(sorted({(start + k) % 12 + 1 for k in range(rng.randint(3, 8))})),
                duration_months=rng.choice((3, 4, 6)),
                goals=tuple(rng.sample(goals, rng.randint(1, 3))),
                outcomes=tuple(rng.sample(outcomes, rng.randint(1, 4))),
                match_mode=rng.choice(("balanced", "subject", "surprise")),
                education=rng.choice((None, "HBO Werktuigbouwkunde", "WO Informatica")),
            )
        )
    return people


def nbytes(pool: Pool) -> int:
    return sum(getattr(pool, name).nbytes for name in Pool.__slots__)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--pairing", type=int, nargs="+", default=[100, 300, 1000])
    args = parser.parse_args()
    rng = random.Random(7)
    print(f"numpy {np.__version__}")
    print("feed ranking (one viewer vs pool: travel filter, score, top 20 of the page)")
    print(
        f"{'pool':>8} {'median ms':>10} {'p95 ms':>8} {'features MB':>12}"
        f" {'with prices: median ms':>23} {'p95 ms':>8}"
    )
    for size in args.sizes:
        pool = build_pool(synthetic(size, "professional", rng))
        viewers = [build_pool([p]) for p in synthetic(args.repeat, "teacher", rng)]
        eligible = np.ones(len(pool), dtype=bool)
        # Congestion prices as the feature store holds them (a share of each stored price).
        price = ordering_price(np.random.default_rng(7).random(len(pool)) * 0.4)
        times, priced = [], []
        for viewer in viewers:  # interleaved, so both see the same machine
            start = time.perf_counter()
            rank_page(viewer, pool, eligible, limit=20)
            times.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            rank_page(viewer, pool, eligible, limit=20, price=price)
            priced.append((time.perf_counter() - start) * 1000)
        print(
            f"{size:>8} {statistics.median(times):>10.2f} {pct(times, 0.95):>8.2f}"
            f" {nbytes(pool) / 1e6:>12.1f}"
            f" {statistics.median(priced):>23.2f} {pct(priced, 0.95):>8.2f}"
        )
    print("coordinator pairing (teachers x professionals of one region)")
    for size in args.pairing:
        teachers = build_pool(synthetic(size, "teacher", rng, region="rotterdam"))
        pros = build_pool(synthetic(size, "professional", rng, region="rotterdam"))
        start = time.perf_counter()
        pairs = best_pairing(teachers, pros)
        elapsed = time.perf_counter() - start
        print(f"{size:>5} x {size:<5} {elapsed:>7.2f} s  ({len(pairs)} pairs)")


if __name__ == "__main__":
    main()
