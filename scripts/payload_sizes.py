"""Bytes on the wire for one feed page of 20: plain JSON and gzipped (as the API sends it).

Builds a throwaway SQLite database with the demo data (`jobtinder seed`), logs in as the demo
teacher and asks GET /api/v1/feed?limit=20 once without and once with Accept-Encoding: gzip.

    .venv/bin/python scripts/payload_sizes.py [--participants 300]
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {
            "DATABASE_URL": f"sqlite:///{tmp}/sizes.db",
            "ENVIRONMENT": "development",
        }
        env.pop("REDIS_URL", None)
        jobtinder = str(Path(sys.executable).with_name("jobtinder"))
        subprocess.run([jobtinder, "migrate"], env=env, check=True, capture_output=True)
        subprocess.run(
            [jobtinder, "seed", "--participants", str(args.participants)],
            env=env,
            check=True,
            capture_output=True,
        )
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        from fastapi.testclient import TestClient

        from app.main import create_app
        from app.seed import DEMO_PASSWORD

        with TestClient(create_app()) as client:
            login = client.post(
                "/api/v1/auth/token",
                data={"username": "docent@example.org", "password": DEMO_PASSWORD},
            )
            login.raise_for_status()
            auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
            for encoding in ("identity", "gzip"):
                headers = auth | {"Accept-Encoding": encoding}
                with client.stream("GET", "/api/v1/feed?limit=20", headers=headers) as response:
                    response.raise_for_status()
                    raw = b"".join(response.iter_raw())
                    sent = response.headers.get("content-encoding", "identity")
                print(f"feed page of 20, Accept-Encoding {encoding}: {len(raw)} bytes ({sent})")


if __name__ == "__main__":
    main()
