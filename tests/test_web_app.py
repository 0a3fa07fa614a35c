"""The web app (/app) in a real browser: Debian's Chromium driven by Playwright, phone-sized with
touch, against a real API server that sends its mail to a loopback SMTP server and its pushes to
a loopback push service.

A teacher and a professional each register, verify their address with the link from the mail
they received, fill in a profile, find each other in the deck and like by dragging the card;
both see the match appear, live; they exchange messages that arrive live on the other side,
confirm, write a plan, log a meeting, see progress, fill in an evaluation; then one leaves with
the exit-kaart and the other sees only a neutral message. Along the way: axe-core finds no
serious or critical violation on any screen, the app shell loads offline, a push subscription
registers and a push reaches the service worker, and screenshots of the deck and the match
moment are kept in test-artifacts/web/. The time from navigation to an interactive deck is
printed (the figure in bench/README.md).

Headless Chromium has no push service of its own (`pushManager.subscribe` is refused there), so
the page is given the subscription of the local push service in its place; everything after
that is real: the app posts it to the API, the API's worker encrypts and sends the push, the
push service decrypts it, and CDP hands that payload to the app's service worker.
"""

import gzip
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.db import get_engine
from app.models import PushSubscription
from tests.live import live_server
from tests.push_service import PushService, push_service
from tests.smtp_server import SmtpServer, smtp_server
from tests.test_push import _vapid_keys

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
WEB_DIST = ROOT / "web" / "dist" / "index.html"
ARTIFACTS = ROOT / "test-artifacts" / "web"
# As the machine's notes say works here: no connection attempts to Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "nl-NL",
}
PASSWORD = "een-lang-wachtwoord-voor-de-test"
EXIT_NOTE = "Alleen-voor-de-coordinator-7319"
WAIT_MS = 15_000

pytestmark = pytest.mark.browser
playwright_api.expect.set_options(timeout=WAIT_MS)


def _require(path: Path | str, what: str) -> None:
    if Path(path).exists():
        return
    message = f"{what} is missing ({path})"
    if os.environ.get("CI") == "true":
        pytest.fail(message + ": CI must run the browser test", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def pushes() -> Iterator[tuple[PushService, str, str]]:
    private, public = _vapid_keys()
    with push_service() as service:
        yield service, private, public
        assert service.errors == []


@pytest.fixture
def server(smtp: SmtpServer, pushes: tuple[PushService, str, str]) -> Iterator[str]:
    _require(WEB_DIST, "the built web app (make web)")
    _, private, _ = pushes
    # One process on SQLite: its live events cross processes only at each heartbeat there.
    workers = 2 if get_engine().dialect.name == "postgresql" else 1
    env = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_STARTTLS": "false",
        "MAIL_FROM": "Job Tinder <noreply@jobtinder.example>",
        "MAIL_WORKER_IN_PROCESS": "true",
        "MAIL_POLL_SECONDS": "0.2",
        "VAPID_PRIVATE_KEY": private,
        "VAPID_SUBJECT": "mailto:ops@jobtinder.example",
        "PUSH_ALLOWED_HOSTS": '["127.0.0.1"]',
        "PUSH_ALLOW_HTTP": "true",
    }
    with live_server(env, workers=workers) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[Any]:
    _require(CHROMIUM, "Chromium (apt-get install chromium)")
    _require(AXE, "axe-core (make web installs web/node_modules)")
    with playwright_api.sync_playwright() as driver:
        instance = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def test_the_app_ships_at_most_150_kb_of_gzipped_javascript() -> None:
    """The issue's budget for the whole app, as a phone downloads it (gzip, level 9)."""
    _require(WEB_DIST, "the built web app (make web)")
    scripts = sorted((WEB_DIST.parent / "assets").glob("*.js"))
    assert scripts, "the build has no JavaScript"
    sizes = {path.name: len(gzip.compress(path.read_bytes(), 9)) for path in scripts}
    css = sum(len(gzip.compress(p.read_bytes(), 9)) for p in WEB_DIST.parent.glob("assets/*.css"))
    total = sum(sizes.values())
    print(
        f"\nweb app: {total / 1024:.1f} KiB of JavaScript gzipped ({len(sizes)} files), "
        f"CSS {css / 1024:.1f} KiB"
    )
    assert total <= 150 * 1024, sizes


def _fake_push_subscription(subscription: dict[str, Any]) -> str:
    """An init script: pushManager answers with this subscription (see the module doc)."""
    return f"""
    (() => {{
      const json = {json.dumps(subscription)};
      const make = () => ({{
        endpoint: json.endpoint, expirationTime: null, options: {{ userVisibleOnly: true }},
        toJSON: () => json,
        unsubscribe: async () => {{ localStorage.removeItem("test.push"); return true; }},
      }});
      PushManager.prototype.subscribe = async function (options) {{
        if (!options || !options.userVisibleOnly || !options.applicationServerKey) {{
          throw new DOMException("bad options", "NotAllowedError");
        }}
        localStorage.setItem("test.push", "on");
        return make();
      }};
      PushManager.prototype.getSubscription = async function () {{
        return localStorage.getItem("test.push") ? make() : null;
      }};
    }})();
    """


class Phone:
    """One participant's phone: a browser context with touch, and the checks run on it."""

    def __init__(self, browser: Any, base: str, name: str, init_script: str | None = None):
        self.base = base
        self.name = name
        self.context = browser.new_context(**PHONE)
        self.context.grant_permissions(["notifications"], origin=base)
        if init_script:
            self.context.add_init_script(init_script)
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: (
                message.type == "error"
                and "Failed to load resource" not in message.text
                and self.errors.append(message.text)
            ),
        )
        self.cdp = self.context.new_cdp_session(self.page)
        self.axe_checked: list[str] = []

    def go(self, path: str) -> None:
        self.page.goto(self.base + "/app/" + path)

    def text(self, value: str | re.Pattern[str]) -> Any:
        return self.page.get_by_text(value).first

    def expect_heading(self, name: str) -> None:
        playwright_api.expect(self.page.get_by_role("heading", name=name, level=1)).to_be_visible()

    def axe(self, screen: str) -> None:
        """axe-core on the screen as it is now: no serious or critical violation."""
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            # Evaluated through the DevTools protocol: the page's CSP (no inline scripts)
            # stays as it is for the app.
            self.page.evaluate(AXE.read_text())
        violations = self.page.evaluate(
            """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                               nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }))"""
        )
        assert violations == [], f"axe on {self.name}'s {screen}: {violations}"
        self.axe_checked.append(screen)

    def drag_card(self, dx: float) -> None:
        """A finger on the top card, moved sideways in steps, lifted: real touch events."""
        card = self.page.get_by_test_id("card")
        playwright_api.expect(card).to_be_visible()
        box = card.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.3
        touch = "Input.dispatchTouchEvent"
        self.cdp.send(touch, {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for step in range(1, 13):
            point = {"x": x + dx * step / 12, "y": y + step}
            self.cdp.send(touch, {"type": "touchMove", "touchPoints": [point]})
            self.page.wait_for_timeout(16)
        self.cdp.send(touch, {"type": "touchEnd", "touchPoints": []})

    def close(self) -> None:
        self.context.close()


def _wait_for(check: Callable[[], Any], what: str, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _link_in_mail(smtp: SmtpServer, address: str, path: str) -> str:
    def find() -> str | None:
        for received in smtp.inbox.to(address):
            found = re.search(rf"/app/{path}\?token=[A-Za-z0-9_-]+", received.part("plain"))
            if found:
                return found.group(0).removeprefix("/app/")
        return None

    return str(_wait_for(find, f"the {path} mail to {address}"))


def _register(phone: Phone, smtp: SmtpServer, *, side: str, name: str, email: str) -> None:
    page = phone.page
    phone.go("")
    phone.expect_heading("Inloggen")
    phone.axe("login")
    page.get_by_role("link", name="Nog geen account? Registreren").click()
    phone.expect_heading("Registreren")
    page.get_by_label("Docent" if side == "teacher" else "Professional", exact=True).check()
    page.get_by_label("Naam").fill(name)
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    phone.axe("register")
    page.get_by_role("button", name="Account maken").click()
    phone.expect_heading("Mijn profiel")
    # Not verified yet: the deck says so.
    phone.go("deck")
    playwright_api.expect(phone.text("Bevestig eerst je e-mailadres")).to_be_visible()
    phone.go(_link_in_mail(smtp, email, "verify-email"))
    playwright_api.expect(phone.text("Je e-mailadres is bevestigd.")).to_be_visible()
    phone.axe("verify-email")
    page.get_by_role("link", name="Verder").click()
    phone.expect_heading("Mijn profiel")


def _fill_profile(phone: Phone, *, side: str) -> None:
    page = phone.page
    teacher = side == "teacher"
    page.get_by_label("Functie").fill(
        "Docent natuurkunde" if teacher else "Ingenieur tramonderhoud"
    )
    page.get_by_label("School" if teacher else "Organisatie", exact=True).fill(
        "Wolfert College" if teacher else "RET"
    )
    page.get_by_label("Plaats").select_option("rotterdam")
    subjects = page.get_by_role("group", name="Vakgebieden (1 tot 10)")
    subjects.get_by_label("Natuurkunde" if teacher else "Werktuigbouwkunde", exact=True).check()
    page.get_by_label("Uren per maand").fill("8")
    months = page.get_by_role("group", name="Beschikbare maanden")
    for month in ("jan", "feb", "mrt", "apr", "mei", "jun"):
        months.get_by_label(month, exact=True).check()
    goals = page.get_by_role("group", name="Leerdoelen", exact=True).get_by_role("checkbox")
    goals.nth(0).check()
    goals.nth(1).check()
    phone.axe("profile")
    page.get_by_role("button", name="Profiel opslaan").click()
    phone.expect_heading("Ontdekken")  # a complete profile goes to the deck


def _deck_shows(phone: Phone, name: str) -> None:
    card = phone.page.get_by_test_id("card")
    for _ in range(3):  # the other may have completed their profile a moment ago
        phone.go("deck")
        try:
            playwright_api.expect(card).to_contain_text(name, timeout=5000)
            return
        except AssertionError:
            continue
    playwright_api.expect(card).to_contain_text(name)


def _tab(phone: Phone, name: str) -> None:
    phone.page.get_by_role("navigation", name="Onderdelen van de match").get_by_role(
        "link", name=name
    ).click()


def test_two_participants_match_talk_and_part_in_the_web_app(
    server: str, browser: Any, smtp: SmtpServer, pushes: tuple[PushService, str, str]
) -> None:
    service, _, _ = pushes
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    push_browser = service.browser("bram")
    anouk = Phone(browser, server, "teacher")
    bram = Phone(
        browser, server, "professional", _fake_push_subscription(push_browser.subscription())
    )
    try:
        _register(anouk, smtp, side="teacher", name="Anouk Visser", email="anouk@example.org")
        _fill_profile(anouk, side="teacher")
        _register(bram, smtp, side="professional", name="Bram de Vries", email="bram@example.org")
        _fill_profile(bram, side="professional")

        # Bram turns push on (before the match, so the match is pushed to him).
        bram.go("settings")
        bram.expect_heading("Instellingen")
        bram.page.get_by_test_id("push-toggle").click()
        playwright_api.expect(bram.page.get_by_test_id("push-toggle")).to_be_checked()
        bram.axe("settings")
        with Session(get_engine()) as db:
            stored = db.scalars(select(PushSubscription)).all()
            assert [s.endpoint for s in stored] == [push_browser.endpoint]

        # Bram finds Anouk and likes her by dragging the card to the right.
        _deck_shows(bram, "Anouk Visser")
        card = bram.page.get_by_test_id("card")
        playwright_api.expect(card).to_contain_text("Docent natuurkunde")
        playwright_api.expect(card).to_contain_text("Wolfert College")
        playwright_api.expect(card).to_contain_text("km")
        bram.page.get_by_text("Waarom deze match").click()  # the breakdown
        playwright_api.expect(card.locator("meter")).to_have_count(4)
        playwright_api.expect(card.get_by_role("meter", name="Vakinhoud")).to_be_visible()
        bram.axe("deck")
        bram.page.screenshot(path=str(ARTIFACTS / "deck.png"))
        bram.drag_card(260)
        playwright_api.expect(bram.text("Er is nu niemand meer in je stapel")).to_be_visible()
        assert not bram.page.get_by_test_id("match-moment").is_visible()  # a like, no match yet

        # Anouk's deck, timed from navigation to the first card ready for a swipe.
        anouk.go("deck")
        playwright_api.expect(anouk.page.get_by_test_id("card")).to_contain_text("Bram de Vries")
        deck_ms = anouk.page.wait_for_function(
            "performance.getEntriesByName('deck-interactive')[0]?.startTime"
        ).json_value()
        print(f"\nweb app: navigation to an interactive deck took {deck_ms:.0f} ms")
        # Undo works from the keyboard, and a pass can be taken back: then like by dragging.
        anouk.page.keyboard.press("ArrowLeft")
        playwright_api.expect(anouk.text("Er is nu niemand meer in je stapel")).to_be_visible()
        anouk.page.keyboard.press("u")
        playwright_api.expect(anouk.page.get_by_test_id("card")).to_contain_text("Bram de Vries")
        anouk.drag_card(260)

        # The match: Anouk sees it from her swipe, Bram live from the event stream.
        for phone in (anouk, bram):
            moment = phone.page.get_by_test_id("match-moment")
            playwright_api.expect(moment).to_contain_text("Het is een match!")
        playwright_api.expect(bram.page.get_by_test_id("match-moment")).to_contain_text("Anouk")
        bram.axe("match moment")
        bram.page.screenshot(path=str(ARTIFACTS / "match.png"))

        # The match was pushed to Bram; his service worker shows what the push service got.
        pushed = _wait_for(lambda: service.received, "the push of the new match")
        assert pushed[0].payload["type"] == "match_created"
        _deliver_push(bram, pushed[0].payload)

        # A conversation, live both ways.
        for phone in (anouk, bram):
            phone.page.get_by_role("button", name="Stuur een bericht").click()
        anouk.page.get_by_label("Bericht", exact=True).fill("Hoi Bram! Zullen we donderdag bellen?")
        anouk.page.get_by_role("button", name="Versturen").click()
        playwright_api.expect(bram.page.get_by_test_id("messages")).to_contain_text(
            "Zullen we donderdag bellen?"
        )
        bram.page.get_by_label("Bericht", exact=True).fill("Prima, om vier uur?")
        bram.page.keyboard.press("Enter")
        playwright_api.expect(anouk.page.get_by_test_id("messages")).to_contain_text(
            "Prima, om vier uur?"
        )
        anouk.axe("conversation")

        # Both confirm after the trial; Anouk's screen follows Bram's confirmation live.
        _tab(anouk, "Overzicht")
        anouk.page.get_by_role("button", name="Ik wil doorgaan").click()
        playwright_api.expect(anouk.text("Jij wilt doorgaan.")).to_be_visible()
        anouk.axe("match overview")
        _tab(bram, "Overzicht")
        playwright_api.expect(bram.text("Anouk Visser wil doorgaan.")).to_be_visible()
        bram.page.get_by_role("button", name="Ik wil doorgaan").click()
        for phone in (anouk, bram):
            playwright_api.expect(phone.page.get_by_test_id("match-status")).to_have_text("Actief")

        # The plan, a meeting, progress against the 20 hours.
        _tab(anouk, "Plan")
        anouk.page.get_by_label("Gezamenlijke doelen (één per regel)").fill(
            "Een gastles over trams voor 4 havo"
        )
        anouk.axe("plan")
        anouk.page.get_by_role("button", name="Plan opslaan").click()
        playwright_api.expect(anouk.text("Plan opgeslagen.")).to_be_visible()
        _tab(anouk, "Uren")
        anouk.page.get_by_label("Uren", exact=True).fill("3")
        anouk.page.get_by_label("Activiteit").select_option(index=1)
        anouk.page.get_by_role("button", name="Vastleggen").click()
        progress = anouk.page.get_by_test_id("progress")
        playwright_api.expect(progress).to_contain_text("3 van 20 uur")
        playwright_api.expect(progress).to_contain_text("1 ontmoetingen")
        anouk.axe("meetings and progress")
        _tab(bram, "Uren")
        playwright_api.expect(bram.page.get_by_test_id("progress")).to_contain_text("3 van 20 uur")

        # The midterm evaluation: Bram sees only that Anouk filed it.
        _tab(anouk, "Evaluaties")
        midterm = anouk.page.get_by_role("region", name="Tussenmeting")
        playwright_api.expect(midterm.get_by_role("group")).to_have_count(6)  # the six scales
        for group in midterm.get_by_role("group").all():
            group.get_by_label("4", exact=True).check()
        anouk.axe("evaluations")
        anouk.page.get_by_role("button", name="Tussenmeting versturen").click()
        playwright_api.expect(anouk.text("Jij hebt deze ingevuld.")).to_be_visible()
        _tab(bram, "Evaluaties")
        playwright_api.expect(bram.page.get_by_role("region", name="Tussenmeting")).to_contain_text(
            "Anouk Visser heeft deze ingevuld."
        )

        # Bram leaves with the exit-kaart, reason and note for the coordinator only.
        _tab(anouk, "Overzicht")
        _tab(bram, "Overzicht")
        bram.page.get_by_role("button", name="Stoppen met deze match (exit-kaart)").click()
        bram.page.get_by_label("Reden (niet verplicht)").select_option(label="Geen tijd (meer)")
        bram.page.get_by_label("Toelichting voor de coördinator (niet verplicht)").fill(EXIT_NOTE)
        bram.axe("exit card")
        bram.page.get_by_role("button", name="Stop de match").click()
        playwright_api.expect(bram.page.get_by_test_id("match-status")).to_have_text("Beëindigd")

        # Anouk's screen follows live; she gets a neutral message and nothing of the why.
        playwright_api.expect(anouk.page.get_by_test_id("match-status")).to_have_text("Beëindigd")
        seen = anouk.page.locator("main").inner_text()
        anouk.go("notifications")
        playwright_api.expect(anouk.page.get_by_test_id("notifications")).to_contain_text(
            "Je match is beëindigd."
        )
        anouk.axe("notifications")
        seen += anouk.page.locator("main").inner_text()
        for secret in (EXIT_NOTE, "Geen tijd", "no_time", "Bram heeft"):
            assert secret not in seen
        anouk.go("matches")
        playwright_api.expect(anouk.page.locator(".match-row")).to_contain_text("Beëindigd")
        anouk.axe("matches")

        # The shell comes from the service worker when the network is gone.
        anouk.page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        _wait_for(
            lambda: anouk.page.evaluate("!!navigator.serviceWorker.controller"),
            "the service worker to control the page",
        )
        anouk.context.set_offline(True)
        anouk.page.reload()
        playwright_api.expect(anouk.page.locator(".brand")).to_have_text("Job Tinder")
        playwright_api.expect(
            anouk.page.get_by_role("status").filter(has_text="Offline")
        ).to_be_visible()
        anouk.context.set_offline(False)

        assert anouk.errors == [] and bram.errors == [], (anouk.errors, bram.errors)
        screens = sorted(set(anouk.axe_checked + bram.axe_checked))
        print(f"web app: axe-core clean on {len(screens)} screens: {', '.join(screens)}")
    finally:
        anouk.close()
        bram.close()


def _deliver_push(phone: Phone, payload: dict[str, Any]) -> None:
    """The push service's decrypted payload, handed to the app's service worker (CDP), which
    must show it as a notification that opens the match."""
    registrations: list[dict[str, Any]] = []
    phone.cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    phone.cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not registrations and time.monotonic() < deadline:
        phone.page.wait_for_timeout(100)
    scope = phone.base + "/app/"
    registration = next(r for r in registrations if r["scopeURL"] == scope and not r["isDeleted"])
    phone.cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": phone.base,
            "registrationId": registration["registrationId"],
            "data": json.dumps(payload),
        },
    )
    shown: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while not shown and time.monotonic() < deadline:
        phone.page.wait_for_timeout(100)
        shown = phone.page.evaluate(
            """navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((all) =>
                all.map((n) => ({ title: n.title, body: n.body, url: n.data && n.data.url })))"""
        )
    assert shown == [{"title": payload["title"], "body": payload["body"], "url": payload["url"]}], (
        shown
    )
    phone.cdp.send("ServiceWorker.disable")
