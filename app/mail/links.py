"""Links in mails: `PUBLIC_APP_URL` + a path of the web app, so one link works everywhere.

Form: `{PUBLIC_APP_URL}/app/<screen>[?<query>]`, e.g. `/app/reset-password?token=...`,
`/app/matches/42`. A mobile app claims the `/app/` paths of that host (iOS universal links,
Android App Links) and opens the same screen; the equivalent custom-scheme deep link is
`jobtinder://<screen>[?<query>]` (the same screen and query, without host and `/app/`), see
`deep_link`. The unsubscribe link points at the API itself (`/api/v1/mail/unsubscribe`).
"""

from urllib.parse import urlencode

from app.config import get_settings

APP_PREFIX = "/app/"
DEEP_LINK_SCHEME = "jobtinder://"


def base_url() -> str:
    return get_settings().public_app_url.rstrip("/")


def app_link(screen: str, **query: str | int) -> str:
    """An absolute web-app link: `app_link("reset-password", token=t)`."""
    url = base_url() + APP_PREFIX + screen.lstrip("/")
    return f"{url}?{urlencode(query)}" if query else url


def deep_link(link: str) -> str:
    """The custom-scheme form of an `app_link` (for apps without universal links)."""
    prefix = base_url() + APP_PREFIX
    if not link.startswith(prefix):
        raise ValueError("not a link of this app")
    return DEEP_LINK_SCHEME + link[len(prefix) :]


def api_link(path: str, **query: str) -> str:
    url = base_url() + "/api/v1/" + path.lstrip("/")
    return f"{url}?{urlencode(query)}" if query else url
