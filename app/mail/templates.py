"""Every mail the service sends, registered by name: a subject, a plain-text and an HTML body,
in Dutch (the default) and English.

Placeholders are `str.format` fields (`{name}`, `{link}`, ...). Values are inserted as text:
escaped in the HTML part, so a name can never inject markup. The renderer (app/mail/render.py)
adds the greeting-free frame: the HTML document around the body and, for non-essential mails,
the unsubscribe footer.

Notification mails are digests: `item` is one line per notification (formatted with that
notification's context), and the body's `{items}` is the list of those lines (`{count}` how
many). A single notification is a digest of one.

Links are absolute: `PUBLIC_APP_URL` + a path of the web app (see app/mail/links.py).
"""

from dataclasses import dataclass, field
from string import Formatter

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
# Placeholders the renderer fills itself.
RENDERER_FIELDS = frozenset({"items", "count"})


@dataclass(frozen=True, slots=True)
class Localized:
    subject: str
    text: str
    html: str
    item_text: str | None = None  # digests: one line per notification
    item_html: str | None = None


@dataclass(frozen=True, slots=True)
class MailTemplate:
    name: str
    nl: Localized
    en: Localized
    # Fields every context must carry (derived from the formats: a typo cannot slip by).
    fields: frozenset[str] = field(init=False)
    item_fields: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        top: set[str] = set()
        items: set[str] = set()
        for loc in (self.nl, self.en):
            for fmt in (loc.subject, loc.text, loc.html):
                top |= _fields(fmt)
            for line in (loc.item_text, loc.item_html):
                if line is not None:
                    items |= _fields(line)
        object.__setattr__(self, "fields", frozenset(top - RENDERER_FIELDS))
        object.__setattr__(self, "item_fields", frozenset(items))
        if (self.nl.item_text is None) != (self.en.item_text is None):
            raise ValueError(f"template {self.name}: item lines in one language only")

    @property
    def is_digest(self) -> bool:
        return self.nl.item_text is not None

    def localized(self, language: str) -> Localized:
        return self.en if language == "en" else self.nl


def _fields(fmt: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(fmt) if name}


TEMPLATES: dict[str, MailTemplate] = {}


def register(template: MailTemplate) -> MailTemplate:
    if template.name in TEMPLATES:
        raise ValueError(f"mail template {template.name!r} registered twice")
    TEMPLATES[template.name] = template
    return template


def get_template(name: str) -> MailTemplate:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise ValueError(f"unknown mail template {name!r}") from None


# --- Account mails (essential: no unsubscribe; context: name, link, ...) -------------------

register(
    MailTemplate(
        "verify_email",
        nl=Localized(
            subject="Bevestig je e-mailadres voor Job Tinder",
            text="Hallo {name},\n\nBevestig je e-mailadres met deze link:\n{link}\n\n"
            "Heb je geen account aangemaakt? Dan kun je deze mail negeren.",
            html="<p>Hallo {name},</p><p>Bevestig je e-mailadres met deze link:</p>"
            '<p><a href="{link}">E-mailadres bevestigen</a></p>'
            "<p>Heb je geen account aangemaakt? Dan kun je deze mail negeren.</p>",
        ),
        en=Localized(
            subject="Confirm your email address for Job Tinder",
            text="Hello {name},\n\nConfirm your email address with this link:\n{link}\n\n"
            "Did not create an account? Then you can ignore this mail.",
            html="<p>Hello {name},</p><p>Confirm your email address with this link:</p>"
            '<p><a href="{link}">Confirm email address</a></p>'
            "<p>Did not create an account? Then you can ignore this mail.</p>",
        ),
    )
)

register(
    MailTemplate(
        "password_reset",
        nl=Localized(
            subject="Nieuw wachtwoord instellen voor Job Tinder",
            text="Hallo {name},\n\nStel een nieuw wachtwoord in met deze link:\n{link}\n\n"
            "De link werkt één keer en is kort geldig. Heb je dit niet aangevraagd? "
            "Dan kun je deze mail negeren: je wachtwoord blijft hetzelfde.",
            html="<p>Hallo {name},</p><p>Stel een nieuw wachtwoord in met deze link:</p>"
            '<p><a href="{link}">Nieuw wachtwoord instellen</a></p>'
            "<p>De link werkt één keer en is kort geldig. Heb je dit niet aangevraagd? "
            "Dan kun je deze mail negeren: je wachtwoord blijft hetzelfde.</p>",
        ),
        en=Localized(
            subject="Set a new password for Job Tinder",
            text="Hello {name},\n\nSet a new password with this link:\n{link}\n\n"
            "The link works once and expires soon. Did not ask for this? "
            "Then you can ignore this mail: your password stays the same.",
            html="<p>Hello {name},</p><p>Set a new password with this link:</p>"
            '<p><a href="{link}">Set a new password</a></p>'
            "<p>The link works once and expires soon. Did not ask for this? "
            "Then you can ignore this mail: your password stays the same.</p>",
        ),
    )
)

register(
    MailTemplate(
        "email_change_verify",
        nl=Localized(
            subject="Bevestig je nieuwe e-mailadres voor Job Tinder",
            text="Hallo {name},\n\nJe wilt {new_email} gebruiken voor Job Tinder. "
            "Bevestig dat met deze link:\n{link}\n\n"
            "Heb je dit niet aangevraagd? Dan kun je deze mail negeren.",
            html="<p>Hallo {name},</p><p>Je wilt {new_email} gebruiken voor Job Tinder. "
            'Bevestig dat met deze link:</p><p><a href="{link}">Nieuw e-mailadres '
            "bevestigen</a></p><p>Heb je dit niet aangevraagd? Dan kun je deze mail "
            "negeren.</p>",
        ),
        en=Localized(
            subject="Confirm your new email address for Job Tinder",
            text="Hello {name},\n\nYou want to use {new_email} for Job Tinder. "
            "Confirm that with this link:\n{link}\n\n"
            "Did not ask for this? Then you can ignore this mail.",
            html="<p>Hello {name},</p><p>You want to use {new_email} for Job Tinder. "
            'Confirm that with this link:</p><p><a href="{link}">Confirm new email '
            "address</a></p><p>Did not ask for this? Then you can ignore this mail.</p>",
        ),
    )
)

register(
    MailTemplate(
        "email_changed_notice",
        nl=Localized(
            subject="Je e-mailadres voor Job Tinder is gewijzigd",
            text="Hallo {name},\n\nHet e-mailadres van je Job Tinder-account is zojuist "
            "gewijzigd. Was jij dit niet? Stel dan meteen een nieuw wachtwoord in:\n{link}",
            html="<p>Hallo {name},</p><p>Het e-mailadres van je Job Tinder-account is zojuist "
            "gewijzigd. Was jij dit niet? Stel dan meteen een nieuw wachtwoord in:</p>"
            '<p><a href="{link}">Nieuw wachtwoord instellen</a></p>',
        ),
        en=Localized(
            subject="Your email address for Job Tinder was changed",
            text="Hello {name},\n\nThe email address of your Job Tinder account was just "
            "changed. Was this not you? Then set a new password right away:\n{link}",
            html="<p>Hello {name},</p><p>The email address of your Job Tinder account was just "
            "changed. Was this not you? Then set a new password right away:</p>"
            '<p><a href="{link}">Set a new password</a></p>',
        ),
    )
)

register(
    MailTemplate(
        "password_changed",
        nl=Localized(
            subject="Je wachtwoord voor Job Tinder is gewijzigd",
            text="Hallo {name},\n\nHet wachtwoord van je Job Tinder-account is zojuist "
            "gewijzigd. Was jij dit niet? Stel dan meteen een nieuw wachtwoord in:\n{link}",
            html="<p>Hallo {name},</p><p>Het wachtwoord van je Job Tinder-account is zojuist "
            "gewijzigd. Was jij dit niet? Stel dan meteen een nieuw wachtwoord in:</p>"
            '<p><a href="{link}">Nieuw wachtwoord instellen</a></p>',
        ),
        en=Localized(
            subject="Your password for Job Tinder was changed",
            text="Hello {name},\n\nThe password of your Job Tinder account was just "
            "changed. Was this not you? Then set a new password right away:\n{link}",
            html="<p>Hello {name},</p><p>The password of your Job Tinder account was just "
            "changed. Was this not you? Then set a new password right away:</p>"
            '<p><a href="{link}">Set a new password</a></p>',
        ),
    )
)

# --- Notification mails (non-essential digests; one item per notification) ------------------
# Top-level context: name. Item context: per type below, always with `link`.

register(
    MailTemplate(
        "match_created",
        nl=Localized(
            subject="Je hebt een nieuwe match op Job Tinder",
            text="Hallo {name},\n\nJe hebt een match:\n{items}\n\n"
            "Jullie proeftijd is begonnen. Maak kennis en kijk of het klikt.",
            html="<p>Hallo {name},</p><p>Je hebt een match:</p>{items}"
            "<p>Jullie proeftijd is begonnen. Maak kennis en kijk of het klikt.</p>",
            item_text="{partner_name}: {link}",
            item_html='<a href="{link}">{partner_name}</a>',
        ),
        en=Localized(
            subject="You have a new match on Job Tinder",
            text="Hello {name},\n\nYou have a match:\n{items}\n\n"
            "Your trial period has started. Get to know each other and see if it clicks.",
            html="<p>Hello {name},</p><p>You have a match:</p>{items}"
            "<p>Your trial period has started. Get to know each other and see if it clicks.</p>",
            item_text="{partner_name}: {link}",
            item_html='<a href="{link}">{partner_name}</a>',
        ),
    )
)

register(
    MailTemplate(
        "coordinator_match",
        nl=Localized(
            subject="Je coördinator heeft een match voor je gemaakt",
            text="Hallo {name},\n\nJe coördinator heeft je gekoppeld:\n{items}\n\n"
            "Jullie proeftijd is begonnen. Maak kennis en kijk of het klikt.",
            html="<p>Hallo {name},</p><p>Je coördinator heeft je gekoppeld:</p>{items}"
            "<p>Jullie proeftijd is begonnen. Maak kennis en kijk of het klikt.</p>",
            item_text="{partner_name}: {link}",
            item_html='<a href="{link}">{partner_name}</a>',
        ),
        en=Localized(
            subject="Your coordinator made a match for you",
            text="Hello {name},\n\nYour coordinator paired you with:\n{items}\n\n"
            "Your trial period has started. Get to know each other and see if it clicks.",
            html="<p>Hello {name},</p><p>Your coordinator paired you with:</p>{items}"
            "<p>Your trial period has started. Get to know each other and see if it clicks.</p>",
            item_text="{partner_name}: {link}",
            item_html='<a href="{link}">{partner_name}</a>',
        ),
    )
)

register(
    MailTemplate(
        "trial_ending",
        nl=Localized(
            subject="Je proeftijd op Job Tinder loopt bijna af",
            text="Hallo {name},\n\nDe proeftijd loopt bijna af:\n{items}\n\n"
            "Wil je doorgaan? Bevestig de match. Wil je stoppen? Dat kan altijd, zonder reden.",
            html="<p>Hallo {name},</p><p>De proeftijd loopt bijna af:</p>{items}"
            "<p>Wil je doorgaan? Bevestig de match. Wil je stoppen? Dat kan altijd, "
            "zonder reden.</p>",
            item_text="proeftijd tot {trial_ends_on}: {link}",
            item_html='<a href="{link}">proeftijd tot {trial_ends_on}</a>',
        ),
        en=Localized(
            subject="Your trial period on Job Tinder ends soon",
            text="Hello {name},\n\nThe trial period ends soon:\n{items}\n\n"
            "Want to continue? Confirm the match. Want to stop? You can, any time, no reason "
            "needed.",
            html="<p>Hello {name},</p><p>The trial period ends soon:</p>{items}"
            "<p>Want to continue? Confirm the match. Want to stop? You can, any time, "
            "no reason needed.</p>",
            item_text="trial until {trial_ends_on}: {link}",
            item_html='<a href="{link}">trial until {trial_ends_on}</a>',
        ),
    )
)

register(
    MailTemplate(
        "behind_schedule",
        nl=Localized(
            subject="Je loopt wat achter met je uren op Job Tinder",
            text="Hallo {name},\n\nVolgens jullie plan lopen jullie wat achter:\n{items}\n\n"
            "Plan een ontmoeting of pas het plan samen aan.",
            html="<p>Hallo {name},</p><p>Volgens jullie plan lopen jullie wat achter:</p>"
            "{items}<p>Plan een ontmoeting of pas het plan samen aan.</p>",
            item_text="{hours_logged} van {hours_target} uur, {behind_by_hours} uur achter: {link}",
            item_html='<a href="{link}">{hours_logged} van {hours_target} uur</a>, '
            "{behind_by_hours} uur achter",
        ),
        en=Localized(
            subject="You are a little behind on hours on Job Tinder",
            text="Hello {name},\n\nAccording to your plan you are a little behind:\n{items}\n\n"
            "Plan a meeting or adjust the plan together.",
            html="<p>Hello {name},</p><p>According to your plan you are a little behind:</p>"
            "{items}<p>Plan a meeting or adjust the plan together.</p>",
            item_text="{hours_logged} of {hours_target} hours, {behind_by_hours} hours behind: "
            "{link}",
            item_html='<a href="{link}">{hours_logged} of {hours_target} hours</a>, '
            "{behind_by_hours} hours behind",
        ),
    )
)

register(
    MailTemplate(
        "match_ended",
        # Neutral on purpose: never the reason, the note, or who ended it.
        nl=Localized(
            subject="Een match op Job Tinder is beëindigd",
            text="Hallo {name},\n\nEen match van je is beëindigd:\n{items}\n\n"
            "Bedankt voor je tijd. Je kunt verder zoeken wanneer je wilt.",
            html="<p>Hallo {name},</p><p>Een match van je is beëindigd:</p>{items}"
            "<p>Bedankt voor je tijd. Je kunt verder zoeken wanneer je wilt.</p>",
            item_text="{link}",
            item_html='<a href="{link}">Bekijk de match</a>',
        ),
        en=Localized(
            subject="A match on Job Tinder has ended",
            text="Hello {name},\n\nA match of yours has ended:\n{items}\n\n"
            "Thank you for your time. You can look further whenever you like.",
            html="<p>Hello {name},</p><p>A match of yours has ended:</p>{items}"
            "<p>Thank you for your time. You can look further whenever you like.</p>",
            item_text="{link}",
            item_html='<a href="{link}">View the match</a>',
        ),
    )
)
