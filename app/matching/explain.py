"""Short sentences (Dutch by default, or English) that say why a candidate scores as they do."""

from collections.abc import Sequence
from functools import cache, lru_cache

import numpy as np
import numpy.typing as npt

from app.matching.features import COMPONENTS, Participant
from app.matching.scoring import Scores
from app.vocabulary import get_vocabulary, subject_relatedness

MONTHS_NL = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Every sentence in both languages; the keys name what each says.
TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "surprise": "Verrassingsmatch: {a} en {b} liggen ver uit elkaar",
        "same_subject": "Jullie delen het vakgebied {a}",
        "related": "{A} sluit aan bij {b}",
        "same_region": "Jullie zitten allebei in regio {region} ({km} km)",
        "distance": "{km} km van elkaar",
        "one_more_goal": " (en 1 ander doel)",
        "more_goals": " (en {n} andere doelen)",
        "shared_goal": "Jullie willen allebei: {goal}{more}",
        "shared_outcome": "Jullie verwachten allebei: {outcome}",
        "no_months": "Geen gedeelde maanden beschikbaar",
        "months": "Beiden beschikbaar in {months}",
        "few_hours": " (maar maar {hours} uur per maand)",
        "fallback": "Past binnen de reisafstand",
        "region_prefix": "Regio ",
    },
    "en": {
        "surprise": "Surprise match: {a} and {b} are far apart",
        "same_subject": "You share the field {a}",
        "related": "{A} connects with {b}",
        "same_region": "You are both in the {region} region ({km} km)",
        "distance": "{km} km apart",
        "one_more_goal": " (and 1 other goal)",
        "more_goals": " (and {n} other goals)",
        "shared_goal": "You both want to: {goal}{more}",
        "shared_outcome": "You both expect: {outcome}",
        "no_months": "No months available in common",
        "months": "Both available in {months}",
        "few_hours": " (but only {hours} hours a month)",
        "fallback": "Within travel distance",
        "region_prefix": "",
    },
}


@cache
def _labels(lang: str = "nl") -> dict[str, dict[str, str]]:
    vocab = get_vocabulary()
    lists = {
        "subjects": vocab.subjects,
        "goals": vocab.goals,
        "regions": vocab.regions,
        "outcomes": vocab.outcomes,
    }
    key = "en" if lang == "en" else "nl"
    return {name: {item["code"]: item[key] for item in items} for name, items in lists.items()}


def _text(lang: str) -> dict[str, str]:
    return TEXTS["en"] if lang == "en" else TEXTS["nl"]


def breakdown_dict(row: npt.NDArray[np.float64] | Sequence[float]) -> dict[str, float]:
    values = row.tolist() if isinstance(row, np.ndarray) else row
    return {name: round(value, 4) for name, value in zip(COMPONENTS, values, strict=True)}


@lru_cache(maxsize=65536)
def _relatedness(a: str, b: str) -> float:
    # Codes come from the vocabulary: a few thousand pairs at most, asked for on every card.
    return subject_relatedness(a, b)


def month_span(months: list[int], lang: str = "nl") -> str:
    """'jan–jun' for a run of months, otherwise a short list ('jan, mrt, sep')."""
    names = MONTHS_EN if lang == "en" else MONTHS_NL
    months = sorted(months)
    if len(months) >= 3 and months == list(range(months[0], months[-1] + 1)):
        return f"{names[months[0] - 1]}–{names[months[-1] - 1]}"
    return ", ".join(names[m - 1] for m in months)


# Each sentence depends on a few small values of the pair (subject codes, goal codes, months,
# hours, a region and whole kilometres), not on who the two are; the same inputs recur across
# every viewer's deck, so each sentence is made once per process and language.
_SENTENCES = 65536


@lru_cache(maxsize=_SENTENCES)
def _subject_reason(
    mine: tuple[str, ...], theirs: tuple[str, ...], surprise: bool, lang: str
) -> str | None:
    labels, text = _labels(lang)["subjects"], _text(lang)
    pairs = [(_relatedness(a, b), a, b) for a in mine for b in theirs]
    if not pairs:
        return None
    if surprise:
        _, a, b = min(pairs)
        return text["surprise"].format(a=labels.get(a, a).lower(), b=labels.get(b, b).lower())
    strength, a, b = max(pairs)
    if strength <= 0:
        return None
    if a == b:
        return text["same_subject"].format(a=labels.get(a, a).lower())
    return text["related"].format(A=labels.get(a, a), b=labels.get(b, b).lower())


def whole_km(distance: float) -> int:
    """A distance as people say it: whole kilometres, at least 1."""
    return max(1, round(distance))


@lru_cache(maxsize=_SENTENCES)
def _region_reason(shared_region: str | None, km: int, lang: str) -> str:
    text = _text(lang)
    if shared_region is not None:
        name = _labels(lang)["regions"].get(shared_region, shared_region)
        name = name.removeprefix("Regio ").removesuffix(" region")
        return text["same_region"].format(region=name, km=km)
    return text["distance"].format(km=km)


@lru_cache(maxsize=_SENTENCES)
def _motivation_reason(
    my_goals: tuple[str, ...],
    their_goals: tuple[str, ...],
    my_outcomes: tuple[str, ...],
    their_outcomes: tuple[str, ...],
    lang: str,
) -> str | None:
    labels, text = _labels(lang), _text(lang)
    shared = [g for g in my_goals if g in their_goals]
    if shared:
        label = labels["goals"].get(shared[0], shared[0]).lower()
        more = text["one_more_goal"] if len(shared) == 2 else ""
        more = text["more_goals"].format(n=len(shared) - 1) if len(shared) > 2 else more
        return text["shared_goal"].format(goal=label, more=more)
    outcomes = [o for o in my_outcomes if o in their_outcomes]
    if outcomes:
        label = labels["outcomes"].get(outcomes[0], outcomes[0]).lower()
        return text["shared_outcome"].format(outcome=label)
    return None


@lru_cache(maxsize=_SENTENCES)
def _availability_reason(
    my_months: tuple[int, ...], their_months: tuple[int, ...], hours: float, lang: str
) -> str | None:
    text = _text(lang)
    shared = sorted(set(my_months) & set(their_months))
    if not shared:
        return text["no_months"]
    sentence = text["months"].format(months=month_span(shared, lang))
    if hours < 3.5:
        sentence += text["few_hours"].format(hours=f"{hours:g}")
    return sentence


def reasons(
    me: Participant, other: Participant, scores: Scores, row: int, lang: str = "nl"
) -> list[str]:
    """1–4 reasons for `me` looking at `other`, the strongest parts of the match first."""
    return pair_reasons(
        me, other, tuple(scores.breakdown[row].tolist()), float(scores.distance_km[row]), lang
    )


def pair_reasons(
    me: Participant,
    other: Participant,
    breakdown: tuple[float, ...],
    distance: float,
    lang: str = "nl",
) -> list[str]:
    """1–4 reasons for a pair, given its breakdown and distance (`lang`: "nl" or "en")."""
    surprise = me.match_mode == "surprise"
    shared_region = me.region if me.region == other.region else None
    hours = min(me.hours_per_month, other.hours_per_month)
    candidates: list[tuple[float, str | None]] = [
        (breakdown[0], _subject_reason(me.subjects, other.subjects, surprise, lang)),
        (
            breakdown[1],
            _motivation_reason(me.goals, other.goals, me.outcomes, other.outcomes, lang),
        ),
        (breakdown[2], _region_reason(shared_region, whole_km(distance), lang)),
        (breakdown[3], _availability_reason(me.months, other.months, hours, lang)),
    ]
    ordered = [text for _, text in sorted(candidates, key=lambda c: -c[0]) if text]
    return ordered[:4] or [_text(lang)["fallback"]]
