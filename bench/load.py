"""Load benchmark: the hot paths and the other busy endpoints against the real API, beside
the framework's ceiling.

    .venv/bin/python bench/load.py --participants 10000 --workers 2 --duration 15 \
        [--rounds 3] [--connections 32] [--reuse] [--only swipe,feed,...] [--burst K] \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Needs `wrk` (Debian package `wrk`). Steps, all in one run so the figures are comparable:
1. creates the database `jobtinder_load` (`--database-name`) on the server, migrates it,
   seeds N participants, and gives each a login session (straight in the database);
2. starts the API (`uvicorn app.main:app --workers W`) and a bare FastAPI app with the same
   settings (bench/ceiling_app.py);
3. drives them with wrk, every run with the same Lua request building (a row of a table per
   request, its bearer token in a header), so wrk's own cost is the same for all. The
   yardstick is `GET /ceiling`, an `async def` endpoint returning a small JSON (the hot paths
   are async: they never pay the threadpool hop the old synchronous ceiling did). The
   scenarios (`--only`, in this order; SCENARIOS and ABOUT below):
   ceiling_sync (the old yardstick, a labelled second line), swipe, swipe_revoked (the same
   swipes with --revoked revoked sessions in every process's revocation set and one more
   revoked every second, so the set is re-read every 2 s), feed, feed_gzip (with a phone's
   Accept-Encoding), feed_photos (a photo on every profile), feed_prices (the congestion
   prices `jobtinder tick` stores, computed once), message (partners of matches set aside for
   it send, every request a new client_id), refresh (each refresh token once), login
   (Argon2, --login-connections). The ceiling is measured before the first and after each
   scenario; each fraction is taken against the mean of the two ceilings around it;
4. prints per run: throughput, fraction of the ceiling, p50/p99 latency, errors (non-2xx
   and socket errors), the 1-minute load average, CPU milliseconds per request of the API
   workers, PostgreSQL and wrk, the workers' CPU per request as a multiple of the ceiling's
   measured around it, the PostgreSQL transactions committed per request (`commits`: below 1
   where the swipe's group commit stores several swipes in one), responses by status; with
   --rounds R it repeats step 3 R times and prints the medians; and the peak memory (VmHWM)
   per worker.
"""

import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

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

# Every wrk run, the ceiling's included, builds each request in Lua the same way: the next row
# of a table read from a file (each thread steps through alternate rows), an Authorization
# header from it, then `wrk.format`. So wrk's own cost per request is the same for every
# endpoint, and the ceiling is measured with the overhead the endpoints are.
LUA_REQUEST = r"""
local rows = {}
local n = 0
function load_data()
  for line in io.lines("%(data)s") do
    local r = {}
    for field in line:gmatch("%%S+") do table.insert(r, field) end
    n = n + 1
    rows[n] = r
  end
end
wrk.method = "%(method)s"
%(headers)s
function request()
  i = i + 2
  local r = rows[(i %% n) + 1]
  wrk.headers["Authorization"] = "Bearer " .. r[1]
  return wrk.format(nil, %(path)s, nil, %(body)s)
end
"""

# What a phone's HTTP stack sends (iOS URLSession; Android's OkHttp sends "gzip").
PHONE_ENCODING = "gzip, deflate, br"


def wrk_script(
    rows: Sequence[tuple[object, ...]],
    data_dir: Path,
    *,
    path: str,
    method: str = "GET",
    body: str = "nil",
    headers: dict[str, str] | None = None,
) -> str:
    """A wrk script sending one request per row: r[1] is the bearer token, `path` and `body`
    are Lua expressions over the row `r` (its fields are strings)."""
    data = data_dir / f"rows-{len(list(data_dir.iterdir()))}.txt"
    data.write_text("".join(" ".join(str(v) for v in row) + "\n" for row in rows))
    header_lines = "\n".join(
        f'wrk.headers["{name}"] = "{value}"' for name, value in (headers or {}).items()
    )
    return LUA_COMMON + LUA_REQUEST % {
        "data": data,
        "method": method,
        "headers": header_lines,
        "path": path,
        "body": body,
    }


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
    # Brought up to the code's schema first (a reused database may predate a migration).
    env = os.environ | {"DATABASE_URL": target.render_as_string(hide_password=False)}
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, check=True, cwd=ROOT)
    engine = create_engine(target)
    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE swipes, matches, notifications, messages, login_sessions, "
                "refresh_tokens CASCADE"
            )
        )
    engine.dispose()
    return target.render_as_string(hide_password=False)


def forget_activity(url: str) -> None:
    """Every scenario starts from the same state: the swipes (and the day's like counts),
    messages, live events and notifications of the runs before are removed. Otherwise a feed
    measured after a swipe run excludes more people the faster that swipe run was, a later
    swipe run replays pairs already swiped (retries, which take the general path), and each
    message run counts more unread messages than the last: runs would measure different
    work, and a faster swipe would make the feed look slower."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE swipes, daily_likes, messages, events, notifications CASCADE"))
    engine.dispose()


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
    # A loaded machine (other test suites) can take minutes; a server that never answers is
    # stopped, not left behind.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
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
    process.terminate()
    process.wait(30)
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


BENCH_DATABASE: dict[str, str] = {}  # "url": the benchmark's database, set by main()


def process_groups(server: subprocess.Popen[bytes]) -> dict[str, list[str]]:
    """The server's workers, and the PostgreSQL backends connected to the benchmark's
    database (they come and go). Only those: the server is shared with other databases
    (other test suites on this machine), whose backends are not ours; the shared background
    processes (WAL writer, checkpointer) are left out for the same reason."""
    workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True)
    engine = create_engine(BENCH_DATABASE["url"])
    with engine.connect() as conn:
        backends = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        ).scalars()
        postgres = [str(pid) for pid in backends]
    engine.dispose()
    return {"workers": workers.stdout.split(), "postgres": postgres}


def cpu_used(
    before: dict[str, dict[str, float]], server: subprocess.Popen[bytes]
) -> dict[str, float]:
    """CPU seconds per group since `before`; a process started meanwhile counts from 0."""
    used = {}
    for name, pids in process_groups(server).items():
        now = cpu_seconds(pids)
        used[name] = sum(t - before[name].get(pid, 0.0) for pid, t in now.items())
    return used


def committed_transactions() -> int:
    """Transactions committed in the benchmark's database so far (PostgreSQL's statistics,
    which each backend reports within about a second)."""
    engine = create_engine(BENCH_DATABASE["url"])
    with engine.connect() as conn:
        count = conn.execute(
            text("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        ).scalar()
    engine.dispose()
    return int(count or 0)


def run_wrk(
    url: str, script: str, duration: int, connections: int, server: subprocess.Popen[bytes]
) -> dict[str, Any]:
    """One wrk run; besides latency, the CPU seconds per request of each process group and
    the transactions committed per request."""
    load = load_average()
    time.sleep(1.5)  # the statistics of what ran before are reported
    commits_before = committed_transactions()
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
    time.sleep(1.5)
    # Less one: this function's own reading of the count commits a transaction too.
    commits = committed_transactions() - commits_before - 1
    per_request["commits"] = max(commits, 0) / max(int(requests), 1)
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
            "load": (load + load_average()) / 2,  # 1-minute load average, before and after
        }
    )


def create_message_matches(url: str, teachers: list[int], pros: list[int]) -> list[int]:
    """One ongoing (trial) match per (teacher, professional) pair, straight in the database."""
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
    return [i for i in ids if i is not None]


def create_sessions(
    url: str, user_ids: list[int], *, revoked: bool = False, prefix: str = "b"
) -> dict[int, str]:
    """One login session per user, straight in the database (as a login makes it)."""
    from sqlalchemy import insert

    from app.models import LoginSession

    now = datetime.now(UTC)
    ids = {uid: f"{prefix}{uid:0>10}{time.time_ns() % 10**12:0>12}"[:32] for uid in user_ids}
    rows = [
        {
            "id": sid,
            "user_id": uid,
            "created_at": now,
            "last_used_at": now,
            "device_name": "bench",
            "revoked_at": now if revoked else None,
        }
        for uid, sid in ids.items()
    ]
    engine = create_engine(url)
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(LoginSession), rows[start : start + 5000])
        if revoked:
            bump_revocations(conn)
    engine.dispose()
    return ids


def bump_revocations(conn: Any) -> None:
    conn.execute(
        text(
            "INSERT INTO revocation_versions (name, version) VALUES ('sessions', 1) "
            "ON CONFLICT (name) DO UPDATE SET version = revocation_versions.version + 1"
        )
    )


def create_refresh_tokens(url: str, sessions: dict[int, str], count: int) -> list[str]:
    """`count` unused refresh tokens spread over these login sessions (stored as hashes)."""
    from sqlalchemy import insert

    from app.models import RefreshToken
    from app.tokens import new_refresh_token

    now = datetime.now(UTC)
    owners = list(sessions.items())
    tokens, rows = [], []
    for n in range(count):
        uid, sid = owners[n % len(owners)]
        token, token_hash = new_refresh_token()
        tokens.append(token)
        rows.append(
            {
                "token_hash": token_hash,
                "user_id": uid,
                "session_id": sid,
                "created_at": now,
                "expires_at": now + timedelta(days=30),
            }
        )
    engine = create_engine(url)
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(RefreshToken), rows[start : start + 5000])
    engine.dispose()
    random.Random(3).shuffle(tokens)
    return tokens


class Revoker:
    """N revoked login sessions in the revocation set during a run (none of them the
    benchmark's), and, with `churn`, one more revoked every second, so that every process
    re-reads the whole set every REVOCATION_REFRESH_SECONDS. Removed again afterwards."""

    def __init__(self, url: str, user_ids: list[int], count: int, churn: bool) -> None:
        self.url, self.user_ids, self.count, self.churn = url, user_ids, count, churn
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "Revoker":
        owners = [self.user_ids[n % len(self.user_ids)] for n in range(self.count)]
        # Several sessions per user where N exceeds the users: distinct ids by position.
        engine = create_engine(self.url)
        now = datetime.now(UTC)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO login_sessions (id, user_id, created_at, last_used_at, "
                    "device_name, revoked_at) SELECT 'revoked' || g, u, :now, :now, 'bench', "
                    ":now FROM unnest(CAST(:owners AS integer[])) WITH ORDINALITY AS t(u, g)"
                ),
                {"now": now, "owners": owners},
            )
            bump_revocations(conn)
        engine.dispose()
        if self.churn:
            self._thread = threading.Thread(target=self._revoke_every_second, daemon=True)
            self._thread.start()
        return self

    def _revoke_every_second(self) -> None:
        engine = create_engine(self.url)
        n = 0
        while not self._stop.wait(1.0):
            n += 1
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO login_sessions (id, user_id, created_at, last_used_at, "
                        "device_name, revoked_at) VALUES (:id, :u, now(), now(), 'bench', now())"
                    ),
                    {"id": f"churn{time.time_ns()}", "u": self.user_ids[n % len(self.user_ids)]},
                )
                bump_revocations(conn)
        engine.dispose()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        engine = create_engine(self.url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "DELETE FROM login_sessions WHERE device_name = 'bench' AND "
                    "revoked_at IS NOT NULL"
                )
            )
            bump_revocations(conn)
        engine.dispose()


def set_photos(url: str, on: bool) -> None:
    """A photo on every profile (as an upload stores it: key and size), or none."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if on:
            conn.execute(
                text(
                    "UPDATE profiles SET photo_key = encode(sha256(user_id::text::bytea), 'hex'), "
                    "photo_width = 1080, photo_height = 1350"
                )
            )
        else:
            conn.execute(
                text(
                    "UPDATE profiles SET photo_key = NULL, photo_width = NULL, photo_height = NULL"
                )
            )
        conn.execute(text("VACUUM profiles"))
    engine.dispose()


def prepare_prices(url: str) -> int:
    """Compute the congestion prices once (what `jobtinder tick` stores) and keep them aside
    in `bench_prices`, so each priced feed run can put them in place and take them out."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT to_regclass('bench_prices') IS NOT NULL")).scalar()
    if not exists:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "app.cli", "tick"],
            env=os.environ | {"DATABASE_URL": url},
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        print(f"computed congestion prices in {time.perf_counter() - start:.1f} s")
        with engine.connect() as conn:
            conn.execute(text("CREATE TABLE bench_prices AS SELECT * FROM congestion_prices"))
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM bench_prices")).scalar() or 0)
    engine.dispose()
    set_prices(url, False)
    return count


def set_prices(url: str, on: bool) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM congestion_prices"))
        if on:
            conn.execute(text("INSERT INTO congestion_prices SELECT * FROM bench_prices"))
        conn.execute(text("UPDATE feature_versions SET prices = prices + 1"))
    engine.dispose()


SCENARIOS = (
    "ceiling_sync",
    "swipe",
    "swipe_revoked",
    "feed",
    "feed_gzip",
    "feed_photos",
    "feed_prices",
    "message",
    "refresh",
    "login",
)
ABOUT = {
    "ceiling": "GET /ceiling, async def (the yardstick)",
    "ceiling_sync": "GET /ceiling-sync, plain def (the old yardstick)",
    "swipe": "POST /swipes, random swiper and target",
    "swipe_revoked": "the same with N revoked sessions in the set, one more every second",
    "feed": "GET /feed?limit=20, no Accept-Encoding",
    "feed_gzip": f"GET /feed?limit=20, Accept-Encoding: {PHONE_ENCODING}",
    "feed_photos": "GET /feed?limit=20, a photo on every card",
    "feed_prices": "GET /feed?limit=20, congestion prices stored",
    "message": "POST /matches/{id}/messages",
    "refresh": "POST /auth/refresh, each token once",
    "login": "POST /auth/token (Argon2)",
}


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


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
        help="repeat the whole sequence this many times and print medians (noisy machines)",
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
        help="keep the participants of the last run (swipes, matches, sessions cleared)",
    )
    parser.add_argument(
        "--only",
        default="swipe,feed",
        help="comma-separated subset of " + ",".join(SCENARIOS) + " (the async ceiling is "
        "always measured, before and after each of them)",
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
    parser.add_argument(
        "--revoked",
        type=int,
        default=10_000,
        help="revoked login sessions in the revocation set for swipe_revoked",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="record each scenario's API workers with py-spy (collapsed stacks, DIR/NAME.txt; "
        "summarise with bench/profile_summary.py)",
    )
    parser.add_argument(
        "--login-connections",
        type=int,
        default=8,
        help="connections for the login run (each login hashes a password with Argon2)",
    )
    args = parser.parse_args()
    if args.burst < 1:
        parser.error("--burst must be at least 1")
    wanted = [name for name in args.only.split(",") if name != "ceiling"]
    unknown = set(wanted) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    wanted = [name for name in SCENARIOS if name in wanted]

    secret = "bench-secret-key-0123456789abcdef0123456789"
    os.environ["SECRET_KEY"] = secret
    os.environ["ACCESS_TOKEN_MINUTES"] = "600"
    if args.reuse:
        url = reuse_database(args.database_url, args.database_name)
    else:
        url = prepare_database(args.database_url, args.participants, args.database_name)
    os.environ["DATABASE_URL"] = url
    BENCH_DATABASE["url"] = url
    env = os.environ | {
        "LIKES_PER_DAY": "100000",
        "MESSAGES_PER_MINUTE": "100000000",
        "LOGIN_ATTEMPTS_PER_ADDRESS": "100000000",
        "ENVIRONMENT": "development",
    }

    from app.models import Profile, User
    from app.seed import DEMO_PASSWORD
    from app.tokens import create_access_token

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(col(Profile.user_id), col(Profile.side), col(User.email))
            .join(User, col(User.id) == col(Profile.user_id))
            .where(col(Profile.complete), col(Profile.discoverable))
            .order_by(col(Profile.user_id))
        ).all()
    engine.dispose()
    emails = {uid: email for uid, _, email in rows}
    teachers = [uid for uid, side, _ in rows if side == "teacher"]
    pros = [uid for uid, side, _ in rows if side == "professional"]
    sessions = create_sessions(url, teachers + pros)

    def access(uid: int) -> str:
        return create_access_token(uid, sessions[uid])[0]

    senders: list[tuple[str, int]] = []
    if "message" in wanted:
        # Set aside: the last K of each side, matched to each other, swipe and feed nobody.
        k = min(args.message_pairs, len(teachers) // 2, len(pros) // 2)
        pair_t, pair_p = teachers[-k:], pros[-k:]
        teachers, pros = teachers[:-k], pros[:-k]
        match_ids = create_message_matches(url, pair_t, pair_p)
        for match_id, teacher, pro in zip(match_ids, pair_t, pair_p, strict=True):
            senders += [(access(teacher), match_id), (access(pro), match_id)]
        random.Random(2).shuffle(senders)
    if "feed_prices" in wanted:
        print(f"{prepare_prices(url)} congestion prices set aside for feed_prices")
    rng = random.Random(1)
    tokens = {uid: access(uid) for uid in teachers + pros}
    # Distinct swiper/target pairs of opposite sides, never repeated in a run; with --burst K
    # each swiper sends K swipes in a row (on K targets), as a user going through the deck.
    pairs: list[tuple[str, int, str]] = []
    swipe_runs = sum(name in wanted for name in ("swipe", "swipe_revoked"))
    for _ in range(max(60_000, swipe_runs * args.rounds * args.duration * 5_000) // args.burst):
        swiper_side, target_side = (teachers, pros) if rng.random() < 0.5 else (pros, teachers)
        swiper = rng.choice(swiper_side)
        for _ in range(args.burst):
            pairs.append((tokens[swiper], rng.choice(target_side), rng.choice(("like", "pass"))))
    unique = {(p[0], p[1]): p for p in pairs}
    pairs = list(unique.values())
    feed_users = rng.sample(teachers + pros, min(2000, len(tokens)))
    feed_rows = [(tokens[uid],) for uid in feed_users]
    # Login and refresh: participants who neither swipe nor browse in this run's feeds.
    others = [uid for uid in teachers + pros if uid not in set(feed_users)]
    login_rows = [
        (tokens[uid], urlencode({"username": emails[uid], "password": DEMO_PASSWORD}))
        for uid in rng.sample(others, min(1000, len(others)))
    ]
    refresh_owners = {uid: sessions[uid] for uid in rng.sample(others, min(2000, len(others)))}

    api_port, ceiling_port = free_port(), free_port()
    api = start_server("app.main:app", api_port, args.workers, env)
    try:
        ceiling = start_server("bench.ceiling_app:app", ceiling_port, args.workers, env)
    except RuntimeError:
        api.terminate()
        raise
    rounds: list[dict[str, dict[str, Any]]] = []
    consumed = 0
    data_dir = Path(tempfile.mkdtemp(prefix="jobtinder-load-"))
    api_url = f"http://127.0.0.1:{api_port}"
    feed_path = '"/api/v1/feed?limit=20"'

    def measure(name: str, number: int) -> dict[str, Any]:
        if not args.profile or name == "ceiling_sync":
            return scenario(name, number)
        out = Path(args.profile) / f"{name}-{number + 1}.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        spy = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("py-spy")),
                "record",
                "--pid",
                str(api.pid),
                "--subprocesses",
                "--format",
                "raw",
                "--rate",
                "250",
                "--nonblocking",
                "-o",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            return scenario(name, number)
        finally:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)

    def scenario(name: str, number: int) -> dict[str, Any]:
        nonlocal consumed
        run = lambda script, server=api, url=api_url, connections=args.connections: run_wrk(  # noqa: E731
            url, script, args.duration, connections, server
        )
        if name == "ceiling_sync":
            return run(
                wrk_script(feed_rows, data_dir, path='"/ceiling-sync"'),
                ceiling,
                f"http://127.0.0.1:{ceiling_port}",
            )
        if name in ("swipe", "swipe_revoked"):
            # Each run starts where the last one stopped: every swipe of the run is new.
            offset = consumed % len(pairs)
            script = wrk_script(
                pairs[offset:] + pairs[:offset],
                data_dir,
                path='"/api/v1/swipes"',
                method="POST",
                body="'{\"target_id\":' .. r[2] .. ',\"decision\":\"' .. r[3] .. '\"}'",
                headers={"Content-Type": "application/json"},
            )
            if name == "swipe":
                result = run(script)
            else:
                with Revoker(url, others, args.revoked, churn=True):
                    time.sleep(2.5)  # every worker has loaded the set
                    result = run(script)
            # wrk's two threads step through alternate pairs at their own pace.
            consumed += 2 * int(result["requests"])
            return result
        if name.startswith("feed"):
            headers = {"Accept-Encoding": PHONE_ENCODING} if name == "feed_gzip" else {}
            script = wrk_script(feed_rows, data_dir, path=feed_path, headers=headers)
            if name == "feed_photos":
                set_photos(url, True)
                try:
                    return run(script)
                finally:
                    set_photos(url, False)
            if name == "feed_prices":
                set_prices(url, True)
                try:
                    return run(script)
                finally:
                    set_prices(url, False)
            return run(script)
        if name == "message":
            tag = f"r{number}-{time.time_ns()}"
            return run(
                wrk_script(
                    senders,
                    data_dir,
                    path='"/api/v1/matches/" .. r[2] .. "/messages"',
                    method="POST",
                    body='\'{"body":"Zullen we donderdag na het vierde uur bellen?",'
                    f'"client_id":"{tag}-\' .. i .. \'"}}\'',
                    headers={"Content-Type": "application/json"},
                )
            )
        if name == "refresh":
            fresh = create_refresh_tokens(url, refresh_owners, args.duration * 2_500)
            return run(
                wrk_script(
                    [(tokens[others[0]], token) for token in fresh],
                    data_dir,
                    path='"/api/v1/auth/refresh"',
                    method="POST",
                    body="'{\"refresh_token\":\"' .. r[2] .. '\"}'",
                    headers={"Content-Type": "application/json"},
                )
            )
        if name == "login":
            return run(
                wrk_script(
                    login_rows,
                    data_dir,
                    path='"/api/v1/auth/token"',
                    method="POST",
                    body="r[2]",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                ),
                connections=args.login_connections,
            )
        raise AssertionError(name)

    def ceiling_run() -> dict[str, Any]:
        return run_wrk(
            f"http://127.0.0.1:{ceiling_port}",
            wrk_script(feed_rows, data_dir, path='"/ceiling"'),
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
            for name in wanted:
                forget_activity(url)
                results[name] = measure(name, number)
                ceilings.append(ceiling_run())
                results[name]["ceiling_rps"] = (ceilings[-2]["rps"] + ceilings[-1]["rps"]) / 2
                results[name]["ceiling_cpu_ms"] = (
                    ceilings[-2]["cpu_ms_workers"] + ceilings[-1]["cpu_ms_workers"]
                ) / 2
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
        f"burst={args.burst} revoked={args.revoked} login-connections={args.login_connections}"
    )
    print("\n".join(f"  {name}: {ABOUT[name]}" for name in ["ceiling", *wanted]))
    if args.rounds > 1:
        print("median over the rounds (fractions against the async ceilings around each run):")
        print_table(
            {
                name: {
                    key: statistics.median(r[name][key] for r in rounds)
                    for key in rounds[0][name]
                    if isinstance(rounds[0][name][key], int | float)
                }
                | {"share": statistics.median(fraction(r, name) for r in rounds)}
                for name in rounds[0]
            }
        )
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


def print_table(results: dict[str, dict[str, Any]]) -> None:
    """Throughput, latency and CPU ms per request (API workers, PostgreSQL, wrk), with each
    endpoint's worker CPU as a multiple of the ceiling's measured around it."""
    print(
        f"{'endpoint':<14} {'req/s':>7} {'of ceil':>7} {'p50':>6} {'p99 ms':>7} {'err':>5} "
        f"{'load':>5} | {'CPU ms/req: API':>15} {'PG':>5} {'wrk':>5} {'total':>6} "
        f"{'API ×ceil':>9} {'commits':>7}"
    )
    for name, r in results.items():
        share = r["share"] if "share" in r else fraction(results, name)
        total = r["cpu_ms_workers"] + r["cpu_ms_postgres"] + r["cpu_ms_wrk"]
        times = r["cpu_ms_workers"] / r.get("ceiling_cpu_ms", r["cpu_ms_workers"])
        print(
            f"{name:<14} {r['rps']:>7.0f} {share:>7.1%} {r['p50']:>6.1f} {r['p99']:>7.1f} "
            f"{r['errors']:>5.0f} {r['load']:>5.1f} | {r['cpu_ms_workers']:>15.2f} "
            f"{r['cpu_ms_postgres']:>5.2f} {r['cpu_ms_wrk']:>5.2f} {total:>6.2f} {times:>9.1f} "
            f"{r.get('commits', 0.0):>7.2f}"
        )


def print_round(number: int, results: dict[str, dict[str, Any]]) -> None:
    print(f"\nround {number} ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")
    print_table(results)
    for name, r in results.items():
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(r["statuses"].items()))
        print(f"{name} responses by status: {codes}")


if __name__ == "__main__":
    main()
