"""The Python client that openapi-python-client generates from the committed openapi/openapi.json
builds without a single generator warning, imports, and carries the main flow against a live
server: both sides register and verify their address from the mail, fill in their profiles,
like each other from the feed, confirm, plan, meet, follow their progress, evaluate, read
their notifications, exit (with and without a body), refresh, export and erase.

The flow itself is in tests/python_client_flow.py, written as an app developer would, with
the generated package's own imports."""

import importlib
import os
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.live import live_server
from tests.smtp_server import SmtpServer, smtp_server

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "openapi" / "openapi.json"
CONFIG = ROOT / "clients" / "python" / "config.yaml"  # the generator's settings for this API
PACKAGE = "jobtinder_client"


def generate_python_client(target: Path) -> str:
    """Run openapi-python-client on the committed document into `target`/jobtinder_client →
    what the generator printed. Fails on any warning (and on a failed ruff post-hook)."""
    env = os.environ | {
        # The generator formats its output with ruff (a dev dependency, next to python).
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(DOCUMENT),
            "--meta",
            "none",
            "--config",
            str(CONFIG),
            "--output-path",
            str(target / PACKAGE),
            "--fail-on-warning",
        ],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    printed = done.stdout + done.stderr
    assert done.returncode == 0, printed
    for word in ("Warning", "warning", "Error", "Skipping"):
        assert word not in printed, printed
    return printed


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    target = tmp_path_factory.mktemp("python-client")
    generate_python_client(target)
    sys.path.insert(0, str(target))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(target))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]
        sys.modules.pop("tests.python_client_flow", None)


def test_every_generated_module_imports(client_package: ModuleType) -> None:
    modules = [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(client_package.__path__, PACKAGE + ".")
    ]
    names = {module.__name__ for module in modules}
    # One module per operation under its tag, one per schema: spot-check the names apps use.
    for name in (
        "jobtinder_client.api.account.auth_register",
        "jobtinder_client.api.feed.swipes_create",
        "jobtinder_client.api.matches.matches_exit",
        "jobtinder_client.api.coordinator.coordinator_matches_list",
        "jobtinder_client.models.problem",
        "jobtinder_client.models.export_out",
    ):
        assert name in names, sorted(names)
    assert all(name.isascii() for name in names)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def server(smtp: SmtpServer) -> Iterator[str]:
    """The API in its own process, delivering its mail to the loopback SMTP server."""
    env = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_STARTTLS": "false",
        "MAIL_FROM": "Job Tinder <noreply@jobtinder.example>",
        "PUBLIC_APP_URL": "https://jobtinder.example",
        "MAIL_WORKER_IN_PROCESS": "true",
        "MAIL_POLL_SECONDS": "0.2",
    }
    with live_server(env, workers=1) as base:
        yield base


def test_the_main_flow_through_the_generated_client(
    client_package: ModuleType, server: str, smtp: SmtpServer
) -> None:
    flow = importlib.import_module("tests.python_client_flow")
    flow.main_flow(server, smtp.inbox)
