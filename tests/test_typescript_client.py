"""TypeScript: openapi-typescript generates the types from the committed openapi/openapi.json
without a warning, and the small openapi-fetch program in clients/typescript/src compiles
against them with `tsc --strict --noEmit` (typed problem bodies branched on `code`,
notification `data` narrowed by `type`, both forms of the exit).

Needs Node and npm. Without them the test is skipped on a developer's machine, and FAILS in
CI (CI=true): the check must never silently vanish there."""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "clients" / "typescript"
LOCK = PROJECT / "package-lock.json"
# Written after a successful `npm ci`: the hash of the lock file it installed.
INSTALLED = PROJECT / "node_modules" / ".jobtinder-installed-lock"


def _tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = "node" if node is None else "npm"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"{missing} is not installed: CI must type-check the TypeScript client")
        pytest.skip(f"{missing} is not installed (in CI this fails)")
    return node, npm


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=PROJECT,
        env=os.environ
        | {"NO_COLOR": "1", "FORCE_COLOR": "0", "npm_config_update_notifier": "false"},
        capture_output=True,
        text=True,
        timeout=600,
    )


def _install(npm: str) -> None:
    """`npm ci`, unless node_modules already holds exactly what the lock file names."""
    wanted = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if INSTALLED.is_file() and INSTALLED.read_text().strip() == wanted:
        return
    done = _run([npm, "ci", "--no-audit", "--no-fund"])
    assert done.returncode == 0, done.stdout + done.stderr
    INSTALLED.write_text(wanted + "\n")


def test_typescript_types_generate_and_the_program_type_checks() -> None:
    _, npm = _tools()
    _install(npm)

    target = PROJECT / "generated" / "openapi.d.ts"
    target.unlink(missing_ok=True)  # never type-check a file left by an earlier run
    generated = _run([npm, "run", "--silent", "generate"])
    printed = generated.stdout + generated.stderr
    assert generated.returncode == 0, printed
    # The banner and the "document → file" line; anything else is a warning (⚠) or an error.
    lines = [line for line in printed.splitlines() if line.strip()]
    extra = [line for line in lines if not line.startswith(("✨ openapi-typescript", "🚀 "))]
    assert not extra, printed
    types = target.read_text(encoding="utf-8")
    assert '"/api/v1/matches/{match_id}/exit"' in types

    checked = _run([npm, "run", "--silent", "typecheck"])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (checked.stdout + checked.stderr).strip() == ""
