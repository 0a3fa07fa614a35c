"""From a template, a language and contexts to a MIME message with a text and an HTML part."""

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from app import clock
from app.config import get_settings
from app.mail.templates import LANGUAGES, MailTemplate, get_template


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


FOOTER = {
    "nl": (
        "Je krijgt deze mail omdat je meldingen per mail aan hebt staan. "
        "Geen mails meer over dit soort meldingen:"
    ),
    "en": (
        "You get this mail because you have mail notifications on. "
        "No more mails about this kind of notification:"
    ),
}
UNSUBSCRIBE = {"nl": "Uitschrijven", "en": "Unsubscribe"}


def check_context(template: MailTemplate, context: Mapping[str, Any]) -> None:
    """Raise ValueError unless the context carries every placeholder the template uses."""
    needed = template.fields | (template.item_fields if template.is_digest else frozenset())
    missing = needed - context.keys()
    if missing:
        raise ValueError(f"mail {template.name}: missing {', '.join(sorted(missing))}")


def render(
    template_name: str,
    language: str,
    contexts: Sequence[Mapping[str, Any]],
    *,
    unsubscribe_url: str | None = None,
) -> Rendered:
    """Render one mail; a digest template takes one context per item (the first is the top)."""
    template = get_template(template_name)
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    if not contexts:
        raise ValueError("nothing to render")
    loc = template.localized(language)
    top = {k: str(v) for k, v in contexts[0].items()}
    text_values = dict(top)
    html_values = {k: html.escape(v) for k, v in top.items()}
    if template.is_digest:
        assert loc.item_text is not None and loc.item_html is not None
        lines = [loc.item_text.format_map(_text(c)) for c in contexts]
        items = [loc.item_html.format_map(_escaped(c)) for c in contexts]
        text_values |= {"items": "\n".join(f"- {line}" for line in lines)}
        html_values |= {"items": "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"}
        text_values["count"] = html_values["count"] = str(len(contexts))
    subject = " ".join(loc.subject.format_map(text_values).split())  # one line, always
    text = loc.text.format_map(text_values)
    body = loc.html.format_map(html_values)
    if unsubscribe_url is not None:
        text += f"\n\n--\n{FOOTER[language]}\n{unsubscribe_url}"
        body += (
            f'<hr><p style="font-size:small;color:#555">{html.escape(FOOTER[language])} '
            f'<a href="{html.escape(unsubscribe_url)}">{UNSUBSCRIBE[language]}</a></p>'
        )
    document = (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>"
        f'<body style="font-family:sans-serif;line-height:1.5">{body}</body></html>'
    )
    return Rendered(subject=subject, text=text + "\n", html=document)


def _text(context: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in context.items()}


def _escaped(context: Mapping[str, Any]) -> dict[str, str]:
    return {k: html.escape(str(v)) for k, v in context.items()}


def build_message(
    *,
    rendered: Rendered,
    to: str,
    message_id: str,
    unsubscribe_url: str | None,
) -> EmailMessage:
    """A multipart/alternative message; non-essential mails carry RFC 8058 one-click headers."""
    message = EmailMessage()
    message["From"] = get_settings().mail_from
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url is not None:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # 8bit keeps links whole in the text part (a newcomer copies them from the .eml file).
    message.set_content(rendered.text, cte="8bit")
    message.add_alternative(rendered.html, subtype="html")
    return message
