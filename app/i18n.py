"""Which language to answer in: Dutch (the default) or English.

A request says what it wants with `Accept-Language` (feed reasons, problem titles and details,
notification texts). What is sent to a user later, outside their own request (a notification's
text, a mail), follows their stored preference when they have one.
"""

from typing import Any

LANGUAGES = ("nl", "en")
DEFAULT = "nl"


def negotiate(header: str | bytes | None) -> str:
    """The supported language the Accept-Language header prefers most; Dutch if none.

    `en-GB;q=0.8, nl;q=0.9` → nl; `en` → en; `de, *;q=0.1` → nl (the default); q=0 refuses.
    """
    if not header:
        return DEFAULT
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    best, best_q = DEFAULT, -1.0
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
    """The user's stored language, if any. `users.language` arrives with the notification
    settings (another branch); until then no user has one."""
    language = getattr(user, "language", None)
    return language if language in LANGUAGES else None


def for_user(user: Any, header: str | bytes | None) -> str:
    """For what is sent to this user: their stored preference wins, else the request's."""
    return stored_preference(user) or negotiate(header)
