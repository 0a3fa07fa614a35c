"""Which language to answer in: Dutch (the default) or English.

A request says what it wants with `Accept-Language` (feed reasons, problem titles and details,
notification texts). What is sent to a user outside their own request (a mail), and their
notification texts when the request names no language of ours, follow their stored language.
"""

from enum import StrEnum
from typing import Any


class Language(StrEnum):
    nl = "nl"
    en = "en"


LANGUAGES: tuple[str, ...] = tuple(language.value for language in Language)
DEFAULT = Language.nl.value


def negotiate(header: str | bytes | None) -> str:
    """The supported language the Accept-Language header prefers most; Dutch if none.

    `en-GB;q=0.8, nl;q=0.9` → nl; `en` → en; `de, *;q=0.1` → nl (the default); q=0 refuses.
    """
    return requested(header) or DEFAULT


def requested(header: str | bytes | None) -> str | None:
    """The supported language the header asks for, or None when it names none of ours (no
    header, or only `de`): then the caller's stored language or the default applies."""
    if not header:
        return None
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    best: str | None = None
    best_q = -1.0
    for part in header.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if primary == "*":
            primary = DEFAULT
        if primary in LANGUAGES and q > 0 and q > best_q:  # a tie: the earlier one stays
            best, best_q = primary, q
    return best


def stored_preference(user: Any) -> str | None:
    """The user's stored language (`users.language`, also the language of their mails)."""
    language = getattr(user, "language", None)
    return language if language in LANGUAGES else None


def for_user(user: Any, header: str | bytes | None) -> str:
    """For texts about this user in their own request: the language the request asks for,
    else their stored one (which mails use), else Dutch."""
    return requested(header) or stored_preference(user) or DEFAULT
