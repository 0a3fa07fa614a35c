"""Database faults, for real: the test creates its own throwaway PostgreSQL cluster (initdb on a
free port), runs the API against it, stops the database in the middle of traffic and starts it
again. The API must answer 503 problem+json quickly (no hang, no traceback), /readyz must say
so, it must recover by itself, and no request may leave a partial write behind."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import API
from tests.live import free_port, register_participant

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

pytestmark = pytest.mark.skipif(
    not PG_BIN or not shutil.which("runuser"), reason="PostgreSQL server binaries not installed"
)


class Cluster:
    def __init__(self) -> None:
        self.bin = Path(PG_BIN[-1])
        self.dir = Path(tempfile.mkdtemp(prefix="jobtinder-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        if AS_POSTGRES:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*AS_POSTGRES, str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "-l",
            str(self.dir / "log"),
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    pg = Cluster()
    pg.start()
    try:
        yield pg
    finally:
        pg.remove()


@pytest.fixture
def api(cluster: Cluster) -> Iterator[str]:
    env = os.environ | {"DATABASE_URL": cluster.url}
    subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
        assert "Traceback" not in (stderr or ""), stderr


def test_database_outage_answers_503_and_recovers(cluster: Cluster, api: str) -> None:
    with httpx.Client(base_url=api, timeout=20) as http:
        teacher = register_participant(http, "teacher", "fault", database_url=cluster.url)
        pro = register_participant(http, "professional", "fault", database_url=cluster.url)
        assert (
            http.post(
                f"{API}/swipes",
                json={"target_id": teacher["id"], "decision": "like"},
                headers=pro["headers"],
            ).status_code
            == 201
        )

        cluster.stop()
        started = time.monotonic()
        swipe = http.post(
            f"{API}/swipes",
            json={"target_id": pro["id"], "decision": "like"},
            headers=teacher["headers"],
        )
        feed = http.get(f"{API}/feed", headers=teacher["headers"])
        ready = http.get("/readyz")
        elapsed = time.monotonic() - started

        for response in (swipe, feed, ready):
            assert response.status_code == 503, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert "Traceback" not in response.text and "psycopg" not in response.text
        assert elapsed < 20, "answers during the outage must come quickly, not hang"
        assert http.get("/healthz").status_code == 200  # the process itself is up

        cluster.start()
        deadline = time.monotonic() + 30
        while http.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the API did not recover by itself"
            time.sleep(0.5)
        # The failed like left nothing behind: neither a swipe nor a match.
        engine = create_engine(cluster.url)
        with engine.connect() as conn:
            swipes = conn.execute(text("SELECT count(*) FROM swipes")).scalar_one()
            matches = conn.execute(text("SELECT count(*) FROM matches")).scalar_one()
        engine.dispose()
        assert (swipes, matches) == (1, 0)
        # ... and the same like now works and makes the match, swipe and match together.
        retry = http.post(
            f"{API}/swipes",
            json={"target_id": pro["id"], "decision": "like"},
            headers=teacher["headers"],
        )
        assert retry.status_code == 201, retry.text
        assert retry.json()["match"]["status"] == "trial"
