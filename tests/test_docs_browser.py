"""/docs in a real browser: a coordinator logs in with Authorize (OAuth2 password flow) and
calls GET /api/v1/coordinator/participants from Swagger UI (scripts/check_docs_browser.py).

Skipped only where headless Chromium, chromedriver or selenium is missing. The script starts
its own API process on its own SQLite database, so the test database is not involved.
"""

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_docs_browser.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_docs_browser", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_coordinator_logs_in_and_calls_a_route_from_docs(tmp_path):
    pytest.importorskip("selenium", reason="selenium is not installed")
    check = _load_script()
    for binary in (check.CHROMIUM, check.CHROMEDRIVER):
        if shutil.which(binary) is None:
            pytest.skip(f"{binary} is not installed")
    screenshot = tmp_path / "docs-check.png"

    exit_code = check.main(["--screenshot", str(screenshot)])

    assert exit_code == 0, "the /docs browser check failed: see its output above"
    assert screenshot.stat().st_size > 10_000  # a real rendered page, not a blank one
