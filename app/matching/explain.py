"""Short Dutch sentences that say why a candidate scores as they do."""

from functools import cache, lru_cache

import numpy as np
import numpy.typing as npt

from app.matching.features import COMPONENTS, Participant
from app.matching.scoring import Scores
from app.vocabulary import get_vocabulary, subject_relatedness

MONTHS_NL = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


@cache
def _labels() -> dict[str, dict[str, str]]:
    vocab = get_vocabulary()
    lists = {
        "subjects": vocab.subjects,
        "goals": vocab.goals,
        "regions": vocab.regions,
        "outcomes": vocab.outcomes,
    }
    return {name: {item["code"]: item["nl"] for item in items} for name, items in lists.items()}


def breakdown_dict(row: npt.NDArray[np.float64]) -> dict[str, float]:
    return {name: round(value, 4) for name, value in zip(COMPONENTS, row.tolist(), strict=True)}


@lru_cache(maxsize=65536)
def _relatedness(a: str, b: str) -> float:
    # Codes come from the vocabulary: a few thousand pairs at most, asked for on every card.
    return subject_relatedness(a, b)


def month_span(months: list[int]) -> str:
    """'jan–jun' for a run of months, otherwise a short list ('jan, mrt, sep')."""
    months = sorted(months)
    if len(months) >= 3 and months == list(range(months[0], months[-1] + 1)):
        return f"{MONTHS_NL[months[0] - 1]}–{MONTHS_NL[months[-1] - 1]}"
    return ", ".join(MONTHS_NL[m - 1] for m in months)


def _subject_reason(me: Participant, other: Participant, surprise: bool) -> str | None:
    labels = _labels()["subjects"]
    pairs = [(_relatedness(a, b), a, b) for a in me.subjects for b in other.subjects]
    if not pairs:
        return None
    if surprise:
        _, a, b = min(pairs)
        return (
            f"Verrassingsmatch: {labels.get(a, a).lower()} en {labels.get(b, b).lower()} "
            "liggen ver uit elkaar"
        )
    strength, a, b = max(pairs)
    if strength <= 0:
        return None
    if a == b:
        return f"Jullie delen het vakgebied {labels.get(a, a).lower()}"
    return f"{labels.get(a, a)} sluit aan bij {labels.get(b, b).lower()}"


def whole_km(distance: float) -> int:
    """A distance as people say it: whole kilometres, at least 1."""
    return max(1, round(distance))


def _region_reason(me: Participant, other: Participant, distance: float) -> str:
    km = whole_km(distance)
    if me.region == other.region:
        name = _labels()["regions"].get(me.region, me.region).removeprefix("Regio ")
        return f"Jullie zitten allebei in regio {name} ({km} km)"
    return f"{km} km van elkaar"


def _motivation_reason(me: Participant, other: Participant) -> str | None:
    shared = [g for g in me.goals if g in other.goals]
    if shared:
        label = _labels()["goals"].get(shared[0], shared[0]).lower()
        more = f" (en {len(shared) - 1} ander doel)" if len(shared) == 2 else ""
        more = f" (en {len(shared) - 1} andere doelen)" if len(shared) > 2 else more
        return f"Jullie willen allebei: {label}{more}"
    outcomes = [o for o in me.outcomes if o in other.outcomes]
    if outcomes:
        label = _labels()["outcomes"].get(outcomes[0], outcomes[0]).lower()
        return f"Jullie verwachten allebei: {label}"
    return None


def _availability_reason(me: Participant, other: Participant) -> str | None:
    shared = sorted(set(me.months) & set(other.months))
    if not shared:
        return "Geen gedeelde maanden beschikbaar"
    hours = min(me.hours_per_month, other.hours_per_month)
    text = f"Beiden beschikbaar in {month_span(shared)}"
    if hours < 3.5:
        text += f" (maar maar {hours:g} uur per maand)"
    return text


def reasons(me: Participant, other: Participant, scores: Scores, row: int) -> list[str]:
    """1–4 reasons for `me` looking at `other`, the strongest parts of the match first."""
    return pair_reasons(
        me, other, tuple(scores.breakdown[row].tolist()), float(scores.distance_km[row])
    )


def pair_reasons(
    me: Participant, other: Participant, breakdown: tuple[float, ...], distance: float
) -> list[str]:
    """1–4 reasons for a pair, given its breakdown and distance."""
    candidates: list[tuple[float, str | None]] = [
        (breakdown[0], _subject_reason(me, other, me.match_mode == "surprise")),
        (breakdown[1], _motivation_reason(me, other)),
        (breakdown[2], _region_reason(me, other, distance)),
        (breakdown[3], _availability_reason(me, other)),
    ]
    ordered = [text for _, text in sorted(candidates, key=lambda c: -c[0]) if text]
    return ordered[:4] or ["Past binnen de reisafstand"]
