"""Check /docs in a real browser: log in with Authorize and call a coordinator route.

Starts the API (uvicorn) on a free port with a fresh SQLite database holding a coordinator of
Rotterdam and a teacher with a profile in Rotterdam, then drives headless Chromium (Selenium
with the system chromedriver) through Swagger UI the way a coordinator would:

    Authorize -> username/password (OAuth2 password flow) -> Authorize -> Close
    -> GET /api/v1/coordinator/participants -> Try it out -> Execute

and checks that Swagger UI shows response code 200 with the teacher's name in the body.
A screenshot goes to /tmp/docs-check.png (or --screenshot PATH).

Swagger UI's JavaScript and CSS are served by the app itself (app/static/swagger-ui); the
check also fails if /docs names any file on another host.

Usage: python scripts/check_docs_browser.py [--screenshot PATH] [--keep]
Exit code 0 when the check passed, 1 when it failed.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,2000",
]
COORDINATOR_EMAIL = "coordinator.rotterdam@example.org"
COORDINATOR_PASSWORD = "een-lang-wachtwoord-voor-docs"
PARTICIPANT_NAME = "Docent Swaggerius"
ROUTE = "/api/v1/coordinator/participants"
SWAGGER_UI_NPM = "swagger-ui-dist@5"
CACHE_DIR = Path.home() / ".cache" / "jobtinder"
TIMEOUT = 30


class CheckFailed(Exception):
    pass


def log(message: str) -> None:
    print(f"[docs-check] {message}", flush=True)


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "TEST_DATABASE_URL", "PASSWORD_HASH_PROFILE")
    }
    env.update(
        DATABASE_URL=database_url,
        ENVIRONMENT="development",
        SECRET_KEY=secrets.token_urlsafe(48),
        DOCS_ENABLED="true",
        PYTHONPATH=str(REPO_ROOT),
    )
    return env


def prepare_database() -> None:
    """Run in a child process (DATABASE_URL set): migrate, a coordinator and a participant."""
    from app.cli import migrate
    from app.db import new_session
    from app.models import Role
    from app.schemas.profiles import ProfilePut
    from app.security import hash_password
    from app.services.accounts import create_user
    from app.services.profiles import put_profile

    migrate()
    with new_session(write=True) as session:
        create_user(
            session=session,
            email=COORDINATOR_EMAIL,
            password_hash=hash_password(COORDINATOR_PASSWORD),
            name="Coördinator Rotterdam",
            role=Role.coordinator,
            regions=["rotterdam"],
        )
    with new_session(write=True) as session:
        teacher = create_user(
            session=session,
            email="docent.swaggerius@example.org",
            password_hash=hash_password("nog-een-lang-wachtwoord"),
            name=PARTICIPANT_NAME,
            role=Role.participant,
            side="teacher",
        )
        put_profile(
            session=session,
            user=teacher,
            body=ProfilePut.model_validate(
                {
                    "headline": "Docent natuurkunde",
                    "organisation": "Erasmiaans Gymnasium",
                    "organisation_type": "gymnasium",
                    "subjects": ["natuurkunde"],
                    "place": "rotterdam",
                    "hours_per_month": 8,
                    "available_months": [1, 2, 3, 4, 5, 6],
                    "goals": ["practice_in_lessons"],
                }
            ),
        )


@contextmanager
def running_api(workdir: Path) -> Iterator[str]:
    database_url = f"sqlite:///{workdir / 'docs-check.db'}"
    env = server_env(database_url)
    prepared = subprocess.run(
        [sys.executable, __file__, "--prepare-database"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if prepared.returncode != 0:
        raise CheckFailed(f"preparing the database failed:\n{prepared.stderr[-3000:]}")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = (workdir / "uvicorn.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 4 * TIMEOUT  # a loaded machine starts slowly
        while True:
            if server.poll() is not None:
                raise CheckFailed(
                    f"the API exited early:\n{(workdir / 'uvicorn.log').read_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise CheckFailed("the API did not answer /healthz in time")
            time.sleep(0.2)
        log(f"API up at {base} (database {database_url})")
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server_log.close()


def external_assets(docs_html: str, base: str) -> list[str]:
    """Scripts and stylesheets /docs would load from another host (there must be none)."""
    urls = re.findall(r"""(?:src|href)=["'](https?://[^"']+)["']""", docs_html)
    return [u for u in urls if not u.startswith(base)]


# --- the browser ---------------------------------------------------------------------------


def new_driver() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))


def drive_swagger_ui(driver: Any, base: str, screenshot: Path) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, TIMEOUT)

    def visible(css: str, root: Any = None) -> Any:
        if root is None:
            return wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))
        return wait.until(lambda _: root.find_element(By.CSS_SELECTOR, css))

    def click(element: Any) -> None:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        wait.until(lambda _: element.is_displayed() and element.is_enabled())
        element.click()

    step = "open /docs"
    try:
        driver.get(f"{base}/docs")
        visible(".swagger-ui .information-container")
        log(f"Swagger UI shows: {driver.find_element(By.CSS_SELECTOR, '.title').text!r}")

        step = "Authorize"
        click(visible("button.btn.authorize"))
        dialog = visible(".modal-ux")
        username = visible("input#oauth_username", dialog)
        password = dialog.find_element(By.CSS_SELECTOR, "input#oauth_password")
        username.send_keys(COORDINATOR_EMAIL)
        password.send_keys(COORDINATOR_PASSWORD)
        click(dialog.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.authorize"))
        step = "logged in (Logout button appears)"

        def outcome(_: Any) -> str | None:
            if dialog.find_elements(By.XPATH, ".//button[normalize-space()='Logout']"):
                return "ok"
            errors = " ".join(e.text for e in dialog.find_elements(By.CSS_SELECTOR, ".errors"))
            return errors.strip() or None

        result = wait.until(outcome)
        if result != "ok":
            raise CheckFailed(f"Swagger UI shows an authorisation error: {result}")
        click(dialog.find_element(By.CSS_SELECTOR, "button.btn-done"))
        wait.until(ec.invisibility_of_element_located((By.CSS_SELECTOR, ".modal-ux")))

        step = f"expand GET {ROUTE}"
        path_xpath = (
            "//div[contains(@class,'opblock-get')]"
            f"[.//*[contains(@class,'opblock-summary-path') and @data-path='{ROUTE}']]"
        )
        block = wait.until(ec.presence_of_element_located((By.XPATH, path_xpath)))
        click(block.find_element(By.CSS_SELECTOR, ".opblock-summary"))
        step = "Try it out"
        click(visible("button.try-out__btn", block))
        step = "Execute"
        click(visible("button.execute", block))

        step = "read the response"
        status_cell = wait.until(
            lambda _: block.find_element(
                By.CSS_SELECTOR, ".live-responses-table .response .response-col_status"
            )
        )
        body = visible(".live-responses-table .response-col_description pre", block)
        wait.until(lambda _: body.text.strip())
        status = status_cell.text.strip()
        log(f"response code shown: {status}")
        if status != "200":
            raise CheckFailed(f"expected response code 200, Swagger UI shows {status}: {body.text}")
        if PARTICIPANT_NAME not in body.text:
            raise CheckFailed(f"the response body lacks {PARTICIPANT_NAME!r}: {body.text[:500]}")
        curl = block.find_elements(By.CSS_SELECTOR, ".curl-command")
        if curl and "Authorization: Bearer" not in curl[0].text:
            raise CheckFailed("the request Swagger UI sent carried no bearer token")
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", block)
        log(f"body names {PARTICIPANT_NAME!r}: OK")
    except TimeoutException as exc:
        raise CheckFailed(f"timed out at step: {step}") from exc
    finally:
        driver.save_screenshot(str(screenshot))
        log(f"screenshot: {screenshot}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenshot", type=Path, default=Path("/tmp/docs-check.png"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--prepare-database", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare_database:
        prepare_database()
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="jobtinder-docs-check-"))
    try:
        with running_api(workdir) as base:
            with urllib.request.urlopen(f"{base}/docs", timeout=10) as answer:
                docs_html = answer.read().decode()
            outside = external_assets(docs_html, base)
            if outside:
                raise CheckFailed(f"/docs loads files from other hosts: {outside}")
            driver = new_driver()
            try:
                drive_swagger_ui(driver, base, args.screenshot)
            finally:
                driver.quit()
    except CheckFailed as failure:
        log(f"FAILED: {failure}")
        return 1
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log("PASSED: logged in via Authorize and called a coordinator route from /docs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
