"""Load benchmark: swipes, feeds and messages against the real API, beside the framework's
ceiling.

    .venv/bin/python bench/load.py --participants 10000 --workers 2 --duration 15 \
        [--rounds 3] [--connections 32] [--reuse] [--only swipe,feed,message] [--burst K] \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Needs `wrk` (Debian package `wrk`). Steps, all in one run so the figures are comparable:
1. creates the database `jobtinder_load` (`--database-name`) on the server, migrates it,
   seeds N participants;
2. starts the API (`uvicorn app.main:app --workers W`) and a bare FastAPI app with the same
   settings (bench/ceiling_app.py);
3. drives each with wrk: the ceiling (GET /ceiling), swipes (POST /api/v1/swipes, every
   request a distinct swiper/target pair, like or pass), feeds (GET /api/v1/feed, many users),
   and, when asked for (`--only ...,message`), messages (POST /api/v1/matches/{id}/messages,
   either partner of many ongoing matches, every request a new client_id), in the order
   ceiling, swipe, ceiling, feed, ceiling, message, ceiling: each endpoint's fraction is
   taken against the mean of the two ceilings measured just before and just after it.
   The message pairs are participants set aside for it (never swipers, never feed users),
   matched directly in the database before the runs; at their ongoing-match limit, they
   leave the other participants' feeds;
4. prints throughput, p50/p95/p99 latency, errors (non-2xx and socket errors), responses by
   status, each endpoint's throughput as a fraction of the ceiling, CPU milliseconds per
   request of the API workers, PostgreSQL and wrk, and the peak memory (VmHWM) per worker;
   with --rounds R it repeats step 3 R times and prints the medians.
"""

import argparse
import json
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, make_url, select, text
from sqlmodel import col

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LUA_COMMON = r"""
-- thread_id is a global: thread:set() writes globals of the thread's Lua state.
local i = 0
thread_id = 0
local counter = 0
local threads = {}
statuses = {}
function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
  table.insert(threads, thread)
end
function init(args)
  i = thread_id
  if load_data then load_data() end
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      io.write(string.format("STATUS %d %d\n", status, n))
    end
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  io.write(string.format("RESULT %d %.3f %.3f %.3f %.3f %d\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, errors))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_database(url: str, participants: int, name: str = "jobtinder_load") -> str:
    parsed = make_url(url).set(drivername="postgresql+psycopg")
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    target = parsed.set(database=name).render_as_string(hide_password=False)
    env = os.environ | {"DATABASE_URL": target}
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, check=True, cwd=ROOT)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "app.cli", "seed", "--participants", str(participants)],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    print(f"seeded {participants} participants in {time.perf_counter() - start:.1f} s")
    # Start from a steady state: the seed's writes flushed, not a checkpoint mid-run.
    engine = create_engine(target, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CHECKPOINT"))
    engine.dispose()
    return target


def reuse_database(url: str, name: str = "jobtinder_load") -> str:
    target = make_url(url).set(drivername="postgresql+psycopg", database=name)
    engine = create_engine(target)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE swipes, matches, notifications, messages CASCADE"))
    engine.dispose()
    return target.render_as_string(hide_password=False)


def start_server(app: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(
                f"http://127.0.0.1:{port}/healthz"
                if "main" in app
                else f"http://127.0.0.1:{port}/ceiling",
                timeout=1,
            )
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{app} did not start")


def worker_peak_mb(process: subprocess.Popen[bytes]) -> list[float]:
    out = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True)
    peaks = []
    for pid in out.stdout.split():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        if match:
            peaks.append(int(match.group(1)) / 1024)
    return peaks


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[str]) -> dict[str, float]:
    """User + system CPU seconds of each of these processes so far."""
    times = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        times[pid] = (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
    return times


def process_groups(server: subprocess.Popen[bytes]) -> dict[str, list[str]]:
    """The server's workers, and every PostgreSQL process (its backends come and go)."""
    workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True)
    postgres = subprocess.run(["pgrep", "postgres"], capture_output=True, text=True)
    return {"workers": workers.stdout.split(), "postgres": postgres.stdout.split()}


def cpu_used(
    before: dict[str, dict[str, float]], server: subprocess.Popen[bytes]
) -> dict[str, float]:
    """CPU seconds per group since `before`; a process started meanwhile counts from 0."""
    used = {}
    for name, pids in process_groups(server).items():
        now = cpu_seconds(pids)
        used[name] = sum(t - before[name].get(pid, 0.0) for pid, t in now.items())
    return used


def run_wrk(
    url: str, script: str, duration: int, connections: int, server: subprocess.Popen[bytes]
) -> dict[str, Any]:
    """One wrk run; besides latency, the CPU seconds per request of each process group."""
    before = {name: cpu_seconds(pids) for name, pids in process_groups(server).items()}
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    result = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{duration}s",
            "--timeout",
            "10s",
            "-s",
            handle.name,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(handle.name)
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu_used(before, server)
    cpu["wrk"] = (wrk_after.ru_utime + wrk_after.ru_stime) - (
        wrk_before.ru_utime + wrk_before.ru_stime
    )
    line = next(row for row in result.stdout.splitlines() if row.startswith("RESULT"))
    statuses: dict[str, int] = {}
    for row in result.stdout.splitlines():
        if row.startswith("STATUS"):
            code, count = row.split()[1:]
            statuses[code] = statuses.get(code, 0) + int(count)
    requests, seconds, p50, p95, p99, errors = line.split()[1:]
    per_request = {f"cpu_ms_{k}": v * 1000 / max(int(requests), 1) for k, v in cpu.items()}
    return (
        per_request
        | {"statuses": statuses}
        | {
            "rps": int(requests) / float(seconds),
            "p50": float(p50),
            "p95": float(p95),
            "p99": float(p99),
            "errors": int(errors),
            "requests": int(requests),
        }
    )


def lua_table(rows: list[str]) -> str:
    return "{" + ",".join(rows) + "}"


def swipe_script(pairs: list[tuple[str, int, str]], data_dir: Path) -> str:
    """Every request a distinct (swiper, target, decision), read by each thread from a file."""
    data = data_dir / f"swipes-{len(list(data_dir.iterdir()))}.txt"
    data.write_text("".join(f"{token} {target} {decision}\n" for token, target, decision in pairs))
    return (
        LUA_COMMON
        + f"""
local pairs_ = {{}}
local n = 0
function load_data()
  for line in io.lines("{data}") do
    local token, target, decision = line:match("(%S+) (%S+) (%S+)")
    n = n + 1
    pairs_[n] = {{token, target, decision}}
  end
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  i = i + 2
  local p = pairs_[(i % n) + 1]
  wrk.headers["Authorization"] = "Bearer " .. p[1]
  return wrk.format(nil, "/api/v1/swipes", nil,
    '{{"target_id":' .. p[2] .. ',"decision":"' .. p[3] .. '"}}')
end
"""
    )


def create_message_matches(url: str, teachers: list[int], pros: list[int]) -> list[int]:
    """One ongoing (trial) match per (teacher, professional) pair, straight in the database."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    from app.models import Match

    now = datetime.now(UTC)
    rows = [
        {
            "teacher_id": teacher,
            "professional_id": pro,
            "status": "trial",
            "origin": "coordinator",
            "created_at": now,
            "trial_ends_at": now + timedelta(days=30),
            "duration_months": 3,
            "ends_at": now + timedelta(days=91),
        }
        for teacher, pro in zip(teachers, pros, strict=True)
    ]
    engine = create_engine(url)
    with engine.begin() as conn:
        ids = conn.execute(insert(Match).values(rows).returning(col(Match.id))).scalars().all()
    engine.dispose()
    return list(ids)


def message_script(senders: list[tuple[str, int]], data_dir: Path, tag: str) -> str:
    """Either partner of a match sends a message; every request a client_id of its own."""
    data = data_dir / f"messages-{len(list(data_dir.iterdir()))}.txt"
    data.write_text("".join(f"{token} {match_id}\n" for token, match_id in senders))
    return (
        LUA_COMMON
        + f"""
local senders = {{}}
local n = 0
function load_data()
  for line in io.lines("{data}") do
    local token, match_id = line:match("(%S+) (%S+)")
    n = n + 1
    senders[n] = {{token, match_id}}
  end
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  i = i + 2
  local s = senders[(i % n) + 1]
  wrk.headers["Authorization"] = "Bearer " .. s[1]
  return wrk.format(nil, "/api/v1/matches/" .. s[2] .. "/messages", nil,
    '{{"body":"Zullen we donderdag na het vierde uur bellen?","client_id":"{tag}-' .. i .. '"}}')
end
"""
    )


def feed_script(tokens: list[str]) -> str:
    rows = [f'"{t}"' for t in tokens]
    return (
        LUA_COMMON
        + f"""
local tokens = {lua_table(rows)}
local n = #tokens
function request()
  i = i + 2
  wrk.headers["Authorization"] = "Bearer " .. tokens[(i % n) + 1]
  return wrk.format("GET", "/api/v1/feed?limit=20")
end
"""
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat ceiling, swipe, ceiling, feed, ceiling this many times and print medians "
        "(noisy machines)",
    )
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument(
        "--burst",
        type=int,
        default=1,
        help="swipes each swiper sends in a row (default 1: every swipe from a random "
        "swiper, so nearly every request carries a token the worker has not verified yet)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the participants of the last run (swipes, matches, notifications cleared)",
    )
    parser.add_argument(
        "--only",
        default="ceiling,swipe,feed",
        help="comma-separated subset of ceiling,swipe,feed,message (the ceiling is always "
        "measured when a fraction is printed; message only when named)",
    )
    parser.add_argument(
        "--database-name",
        default="jobtinder_load",
        help="the database created (dropped first!) on that server for the run",
    )
    parser.add_argument(
        "--message-pairs",
        type=int,
        default=500,
        help="matches whose partners send the messages (set aside from swipes and feeds)",
    )
    args = parser.parse_args()
    if args.burst < 1:
        parser.error("--burst must be at least 1")
    wanted = set(args.only.split(","))

    secret = "bench-secret-key-0123456789abcdef0123456789"
    os.environ["SECRET_KEY"] = secret
    os.environ["ACCESS_TOKEN_MINUTES"] = "600"
    if args.reuse:
        url = reuse_database(args.database_url, args.database_name)
    else:
        url = prepare_database(args.database_url, args.participants, args.database_name)
    os.environ["DATABASE_URL"] = url
    env = os.environ | {
        "LIKES_PER_DAY": "100000",
        "MESSAGES_PER_MINUTE": "100000000",
        "ENVIRONMENT": "development",
    }

    from app.models import Profile
    from app.tokens import create_access_token

    engine = create_engine(url.replace("postgresql+psycopg", "postgresql+psycopg", 1))
    with engine.connect() as conn:
        rows = conn.execute(
            select(col(Profile.user_id), col(Profile.side)).where(
                col(Profile.complete), col(Profile.discoverable)
            )
        ).all()
    engine.dispose()
    teachers = [uid for uid, side in rows if side == "teacher"]
    pros = [uid for uid, side in rows if side == "professional"]
    senders: list[tuple[str, int]] = []
    if "message" in wanted:
        # Set aside: the last K of each side, matched to each other, swipe and feed nobody.
        k = min(args.message_pairs, len(teachers) // 2, len(pros) // 2)
        pair_t, pair_p = teachers[-k:], pros[-k:]
        teachers, pros = teachers[:-k], pros[:-k]
        match_ids = create_message_matches(url, pair_t, pair_p)
        for match_id, teacher, pro in zip(match_ids, pair_t, pair_p, strict=True):
            senders += [
                (create_access_token(teacher)[0], match_id),
                (create_access_token(pro)[0], match_id),
            ]
        random.Random(2).shuffle(senders)
    rng = random.Random(1)
    tokens = {uid: create_access_token(uid)[0] for uid in teachers + pros}
    # Distinct swiper/target pairs of opposite sides, never repeated in a run; with --burst K
    # each swiper sends K swipes in a row (on K targets), as a user going through the deck.
    pairs: list[tuple[str, int, str]] = []
    for _ in range(max(60_000, args.rounds * args.duration * 5_000) // args.burst):
        swiper_side, target_side = (teachers, pros) if rng.random() < 0.5 else (pros, teachers)
        swiper = rng.choice(swiper_side)
        for _ in range(args.burst):
            pairs.append((tokens[swiper], rng.choice(target_side), rng.choice(("like", "pass"))))
    unique = {(p[0], p[1]): p for p in pairs}
    pairs = list(unique.values())

    api_port, ceiling_port = free_port(), free_port()
    api = start_server("app.main:app", api_port, args.workers, env)
    ceiling = start_server("bench.ceiling_app:app", ceiling_port, args.workers, env)
    rounds: list[dict[str, dict[str, Any]]] = []
    consumed = 0
    data_dir = Path(tempfile.mkdtemp(prefix="jobtinder-load-"))
    feed_tokens = [tokens[uid] for uid in rng.sample(teachers + pros, min(2000, len(tokens)))]

    def ceiling_run() -> dict[str, Any]:
        return run_wrk(
            f"http://127.0.0.1:{ceiling_port}/ceiling",
            LUA_COMMON,
            args.duration,
            args.connections,
            ceiling,
        )

    try:
        for number in range(args.rounds):
            # The ceiling is measured before and after each endpoint, and each endpoint is
            # compared with the mean of the two: this machine's speed drifts within a minute.
            ceilings = [ceiling_run()]
            results: dict[str, dict[str, Any]] = {}
            if "swipe" in wanted:
                # Each round starts where the last one stopped: every swipe of the run is new.
                offset = consumed % len(pairs)
                results["swipe"] = run_wrk(
                    f"http://127.0.0.1:{api_port}",
                    swipe_script(pairs[offset:] + pairs[:offset], data_dir),
                    args.duration,
                    args.connections,
                    api,
                )
                # wrk's two threads step through alternate pairs at their own pace.
                consumed += 2 * int(results["swipe"]["requests"])
                ceilings.append(ceiling_run())
                results["swipe"]["ceiling_rps"] = (ceilings[-2]["rps"] + ceilings[-1]["rps"]) / 2
            if "feed" in wanted:
                results["feed"] = run_wrk(
                    f"http://127.0.0.1:{api_port}",
                    feed_script(feed_tokens),
                    args.duration,
                    args.connections,
                    api,
                )
                ceilings.append(ceiling_run())
                results["feed"]["ceiling_rps"] = (ceilings[-2]["rps"] + ceilings[-1]["rps"]) / 2
            if "message" in wanted:
                results["message"] = run_wrk(
                    f"http://127.0.0.1:{api_port}",
                    message_script(senders, data_dir, f"r{number}-{time.time_ns()}"),
                    args.duration,
                    args.connections,
                    api,
                )
                ceilings.append(ceiling_run())
                results["message"]["ceiling_rps"] = (ceilings[-2]["rps"] + ceilings[-1]["rps"]) / 2
            results = {"ceiling": mean_of_runs(ceilings)} | results
            rounds.append(results)
            print_round(number + 1, results)
        memory = worker_peak_mb(api)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        api.terminate()
        ceiling.terminate()
        api.wait(30)
        ceiling.wait(30)

    print(
        f"\nparticipants={args.participants} workers={args.workers} "
        f"connections={args.connections} duration={args.duration}s rounds={args.rounds} "
        f"burst={args.burst}"
    )
    if args.rounds > 1:
        print("median over the rounds (each fraction against the ceilings measured around it):")
        print(f"{'endpoint':<9} {'req/s':>9} {'of ceiling':>10} {'p99 ms':>8}")
        for name in rounds[0]:
            rps = statistics.median(r[name]["rps"] for r in rounds)
            share = statistics.median(fraction(r, name) for r in rounds)
            p99 = statistics.median(r[name]["p99"] for r in rounds)
            print(f"{name:<9} {rps:>9.0f} {share:>10.1%} {p99:>8.1f}")
    print("peak memory per API worker (MB): " + ", ".join(f"{m:.0f}" for m in memory))
    print(json.dumps(rounds))


def mean_of_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several runs of the same endpoint as one: mean throughput, latency and CPU figures."""
    merged: dict[str, Any] = {
        key: statistics.fmean(run[key] for run in runs)
        for key in runs[0]
        if key not in ("statuses", "requests", "errors")
    }
    merged["requests"] = sum(run["requests"] for run in runs)
    merged["errors"] = sum(run["errors"] for run in runs)
    statuses: dict[str, int] = {}
    for run in runs:
        for code, count in run["statuses"].items():
            statuses[code] = statuses.get(code, 0) + count
    merged["statuses"] = statuses
    merged["runs"] = len(runs)
    return merged


def fraction(results: dict[str, dict[str, Any]], name: str) -> float:
    """An endpoint's throughput against the ceiling measured around it."""
    result = results[name]
    return float(result["rps"] / result.get("ceiling_rps", results["ceiling"]["rps"]))


def print_round(number: int, results: dict[str, dict[str, Any]]) -> None:
    print(f"\nround {number}")
    around = ", ".join(
        f"{name} {r['ceiling_rps']:.0f}" for name, r in results.items() if "ceiling_rps" in r
    )
    if around:
        print(f"ceiling req/s around each endpoint: {around}")
    print(
        f"{'endpoint':<9} {'req/s':>9} {'of ceiling':>10} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'errors':>7}"
    )
    for name, r in results.items():
        print(
            f"{name:<9} {r['rps']:>9.0f} {fraction(results, name):>10.1%} {r['p50']:>8.1f} "
            f"{r['p95']:>8.1f} {r['p99']:>8.1f} {r['errors']:>7.0f}"
        )
    print("CPU ms per request:")
    print(f"{'endpoint':<9} {'API workers':>12} {'PostgreSQL':>11} {'wrk':>6} {'total':>7}")
    for name, r in results.items():
        total = r["cpu_ms_workers"] + r["cpu_ms_postgres"] + r["cpu_ms_wrk"]
        print(
            f"{name:<9} {r['cpu_ms_workers']:>12.2f} {r['cpu_ms_postgres']:>11.2f} "
            f"{r['cpu_ms_wrk']:>6.2f} {total:>7.2f}"
        )
    for name, r in results.items():
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(r["statuses"].items()))
        print(f"{name} responses by status: {codes}")


if __name__ == "__main__":
    main()
