"""The README's curl tour works as written, on a database that already holds other people,
and again on the same database (it captures every id it uses)."""

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import live_server

README = Path(__file__).resolve().parent.parent / "README.md"


def tour_script() -> str:
    section = README.read_text(encoding="utf-8").split("## A short tour with curl", 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "the tour's bash block is missing"
    return match.group(1)


@pytest.fixture
def server() -> Iterator[str]:
    # As `make run` does: the API delivers its mail itself, as .eml files in MAIL_DIR (the
    # tests' own directory; the tour reads it from the same variable).
    mail = {"MAIL_WORKER_IN_PROCESS": "true", "MAIL_POLL_SECONDS": "0.5"}
    with live_server(mail, workers=1, stderr=subprocess.DEVNULL) as base:
        yield base


@pytest.mark.skipif(shutil.which("curl") is None, reason="the tour needs curl")
def test_the_curl_tour_runs_as_written(server, make_participant):
    make_participant("teacher")  # someone is already there
    make_participant("professional")
    for _ in range(2):
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", tour_script()],
            env=os.environ | {"API": f"{server}/api/v1"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        lines = done.stdout.splitlines()
        assert "Je hebt een match met Sem de Boer! Jullie proeftijd is begonnen." in lines
        assert lines[-4:] == ["trial", "active", "ended", "swipe_conflict"], done.stdout
        assert "+31 10 123 4567" in done.stdout  # the partner's contact, once matched
        assert "Traceback" not in done.stderr
