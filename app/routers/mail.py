"""One-click unsubscribe from notification mails (RFC 8058), without logging in."""

import html
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from app.db import ReadSession, WriteSession
from app.errors import UNSUBSCRIBE_UNKNOWN, UNSUBSCRIBE_USED
from app.schemas.common import problem_responses
from app.services import outbox

router = APIRouter(prefix="/mail", tags=["notifications"])

TokenQuery = Annotated[
    str,
    Query(
        min_length=20,
        max_length=100,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The token from the mail's unsubscribe link.",
    ),
]

TYPE_NAMES = {
    "nl": {
        "match_created": "nieuwe matches",
        "coordinator_match": "matches van je coördinator",
        "trial_ending": "het einde van de proeftijd",
        "behind_schedule": "achterlopen op uren",
        "match_ended": "beëindigde matches",
    },
    "en": {
        "match_created": "new matches",
        "coordinator_match": "matches by your coordinator",
        "trial_ending": "the end of the trial period",
        "behind_schedule": "falling behind on hours",
        "match_ended": "ended matches",
    },
}
CONFIRM = {
    "nl": ("Uitschrijven", "Geen mails meer over {what}?", "Ja, uitschrijven"),
    "en": ("Unsubscribe", "No more mails about {what}?", "Yes, unsubscribe"),
}
DONE = {
    "nl": "Je krijgt geen mails meer over {what}. In de app zie je deze meldingen nog steeds; "
    "je kunt het terugzetten bij je meldingsinstellingen.",
    "en": "You will no longer get mails about {what}. You still see these notifications in "
    "the app; you can turn mail back on in your notification settings.",
}


def _page(language: str, title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>"
    )


@router.get(
    "/unsubscribe",
    response_class=HTMLResponse,
    summary="Uitschrijven (bevestigen)",
    description="The page behind the unsubscribe link in a notification mail: asks to "
    "confirm (a GET never unsubscribes, so link scanners change nothing). 404 for an unknown "
    "token, 410 once it has been used.",
    responses=problem_responses(UNSUBSCRIBE_UNKNOWN, UNSUBSCRIBE_USED, 422),
)
def unsubscribe_page(token: TokenQuery, session: ReadSession) -> HTMLResponse:
    kind, language = outbox.find_unsubscribe(session, token=token)
    title, question, button = CONFIRM[language]
    what = html.escape(TYPE_NAMES[language].get(kind, kind))
    action = html.escape(f"?token={token}")
    return _page(
        language,
        title,
        f"<h1>{title}</h1><p>{question.format(what=what)}</p>"
        f'<form method="post" action="{action}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        f'<button type="submit">{button}</button></form>',
    )


@router.post(
    "/unsubscribe",
    response_class=HTMLResponse,
    summary="Uitschrijven (one-click, RFC 8058)",
    description="Turns mail off for the notification type of the mail that carried the "
    "token (in-app notifications stay). The target of `List-Unsubscribe` with "
    "`List-Unsubscribe-Post: List-Unsubscribe=One-Click`; no login. Each token works once: "
    "404 for an unknown token, 410 once it has been used.",
    responses=problem_responses(UNSUBSCRIBE_UNKNOWN, UNSUBSCRIBE_USED, 422),
)
def unsubscribe(token: TokenQuery, session: WriteSession) -> HTMLResponse:
    kind, language = outbox.find_unsubscribe(session, token=token)
    outbox.unsubscribe(session, token=token)
    what = html.escape(TYPE_NAMES[language].get(kind, kind))
    title = CONFIRM[language][0]
    return _page(language, title, f"<h1>{title}</h1><p>{DONE[language].format(what=what)}</p>")
