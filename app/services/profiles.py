"""Profiles: create, replace, update, and what each viewer may see of them."""

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.exc import InvalidRequestError
from sqlmodel import Session, col

from app import clock
from app.db import lock_users
from app.errors import Invalid, Unauthorized
from app.matching.features import COMPONENTS, MODE_WEIGHTS
from app.models import CoordinatorRegion, Profile, Role, Side, User
from app.schemas.profiles import (
    Contact,
    ProfileCard,
    ProfileFields,
    ProfileOwn,
    ProfilePatch,
    ProfilePut,
    Weights,
)
from app.security import check_participant
from app.services.photos import photo_fields
from app.vocabulary import get_vocabulary

REQUIRED_FOR_COMPLETE = (
    "headline",
    "organisation",
    "subjects",
    "place",
    "hours_per_month",
    "available_months",
    "goals",
)
_DEFAULTS = Profile(user_id=0, side=Side.teacher)


def missing_fields(profile: Profile) -> list[str]:
    return [name for name in REQUIRED_FOR_COMPLETE if not getattr(profile, name)]


def _apply(profile: Profile, data: dict[str, object], *, side: str) -> None:
    org_type = data.get("organisation_type")
    if org_type is not None:
        allowed = {
            item["code"] for item in get_vocabulary().organisation_types if item.get("side") == side
        }
        if org_type not in allowed:
            raise Invalid(
                f"organisation_type '{org_type}' is not a {side} organisation type",
                loc=["body", "organisation_type"],
            )
    profile.sqlmodel_update(data)
    profile.region = get_vocabulary().places[profile.place].region if profile.place else None
    profile.complete = not missing_fields(profile)


def _body_data(body: ProfileFields, *, replace: bool) -> dict[str, object]:
    data = body.model_dump(mode="json", exclude_unset=not replace)
    if replace:
        # PUT replaces: a field sent as null, or left out, returns to its default.
        for name in list(data):
            if data[name] is None:
                data[name] = getattr(_DEFAULTS, name)
        data["contact"] = data.get("contact") or {}
    else:
        for name in (
            "max_travel_km",
            "duration_months",
            "match_mode",
            "manager_approval",
            "discoverable",
            "subjects",
            "available_months",
            "goals",
            "outcomes",
        ):
            if name in data and data[name] is None:
                raise Invalid(f"{name} cannot be null", loc=["body", name])
        if "contact" in data and data["contact"] is None:
            data["contact"] = {}
    if isinstance(data.get("contact"), dict):
        data["contact"] = {k: v for k, v in data["contact"].items() if v is not None}
    return data


def _lock_own_profile(session: Session, user: User) -> Profile | None:
    """My profile as stored now, read under my row lock, which an erasure of my account also
    takes: either it came first (401: nothing is written, no profile comes back to life), or
    it comes after and erases what this request writes."""
    assert user.id is not None
    lock_users(session, [user.id])
    session.refresh(user)
    check_participant(role=user.role, deleted_at=user.deleted_at, require_verified=False)
    return session.get(Profile, user.id, populate_existing=True)


def _reread(session: Session, profile: Profile) -> Profile:
    """The profile as committed; an erasure of the account that committed right after this
    write took it away: 401, as for any request of an erased account."""
    try:
        session.refresh(profile)
    except InvalidRequestError:
        raise Unauthorized() from None
    return profile


def put_profile(*, session: Session, user: User, body: ProfilePut) -> Profile:
    """Create or replace my profile (PUT)."""
    assert user.id is not None and user.side is not None
    profile = _lock_own_profile(session, user) or Profile(user_id=user.id, side=user.side)
    _apply(profile, _body_data(body, replace=True), side=user.side)
    session.add(profile)
    session.commit()
    return _reread(session, profile)


def patch_profile(*, session: Session, user: User, body: ProfilePatch) -> Profile:
    """Change only the fields sent (PATCH); creates the profile if there is none yet."""
    assert user.id is not None and user.side is not None
    profile = _lock_own_profile(session, user) or Profile(user_id=user.id, side=user.side)
    _apply(profile, _body_data(body, replace=False), side=user.side)
    session.add(profile)
    session.commit()
    return _reread(session, profile)


def effective_weights(profile: Profile) -> Weights:
    values = profile.weights or dict(zip(COMPONENTS, MODE_WEIGHTS[profile.match_mode], strict=True))
    return Weights.model_validate(values)


# The profile columns `_card_fields` reads (with the owner's id, name and side).
CARD_COLUMNS = (
    "user_id",
    "side",
    "region",
    "headline",
    "organisation",
    "organisation_type",
    "bio",
    "subjects",
    "education",
    "place",
    "max_travel_km",
    "hours_per_month",
    "available_months",
    "duration_months",
    "goals",
    "outcomes",
    "motivation",
    "match_mode",
    "photo_key",
    "photo_width",
    "photo_height",
)


def _card_fields(profile: Profile | None, user: User) -> dict[str, object]:
    vocab = get_vocabulary()
    place = vocab.places.get(profile.place) if profile and profile.place else None
    base: dict[str, object] = {"id": user.id, "name": user.name, "side": user.side}
    if profile is None:
        return base | {
            "region": None,
            "headline": None,
            "organisation": None,
            "organisation_type": None,
            "bio": None,
            "subjects": [],
            "education": None,
            "place": None,
            "place_name": None,
            "max_travel_km": _DEFAULTS.max_travel_km,
            "hours_per_month": None,
            "available_months": [],
            "duration_months": _DEFAULTS.duration_months,
            "goals": [],
            "outcomes": [],
            "motivation": None,
            "match_mode": _DEFAULTS.match_mode,
            "photo": None,
        }
    return base | {
        "region": profile.region,
        "headline": profile.headline,
        "organisation": profile.organisation,
        "organisation_type": profile.organisation_type,
        "bio": profile.bio,
        "subjects": profile.subjects,
        "education": profile.education,
        "place": profile.place,
        "place_name": place.name if place else None,
        "max_travel_km": profile.max_travel_km,
        "hours_per_month": profile.hours_per_month,
        "available_months": profile.available_months,
        "duration_months": profile.duration_months,
        "goals": profile.goals,
        "outcomes": profile.outcomes,
        "motivation": profile.motivation,
        "match_mode": profile.match_mode,
        # Part of the live card: never in the stub above (see app/services/photos.py).
        "photo": photo_fields(profile.photo_key, profile.photo_width, profile.photo_height),
    }


@dataclass(frozen=True, slots=True)
class _Owner:
    id: int
    name: str
    side: str


def card_fields_from_row(row: Any) -> dict[str, object]:
    """The public card's fields from a row with CARD_COLUMNS plus the owner's `name`.

    For the feed's page: the same fields as `card`, without building ORM objects, which for
    SQLModel tables costs more than the rest of the page together. The feed writes them to
    JSON as they are (see `app/views/feed.py::page_document`).
    """
    owner = _Owner(id=row.user_id, name=row.name, side=row.side)
    return _card_fields(cast(Profile, row), cast(User, owner))


def card(profile: Profile | None, user: User, *, with_contact: bool = False) -> ProfileCard:
    """The public card; `contact` only when the caller established that the viewer may see it.

    Who may see which is decided in `app/services/visibility.py`; no profile gives the stub
    (id, name, side) that histories show.
    """
    fields = _card_fields(profile, user)
    if with_contact and profile is not None and not user.is_deleted:
        fields["contact"] = Contact.model_validate(profile.contact or {})
    return ProfileCard.model_validate(fields)


def own_profile(profile: Profile, user: User) -> ProfileOwn:
    fields = _card_fields(profile, user)
    return ProfileOwn.model_validate(
        fields
        | {
            "contact": Contact.model_validate(profile.contact or {}),
            "weights": effective_weights(profile),
            "weights_explicit": profile.weights is not None,
            "manager_approval": profile.manager_approval,
            "confidentiality": profile.confidentiality,
            "discoverable": profile.discoverable,
            "complete": profile.complete,
            "missing": missing_fields(profile),
            "updated_at": clock.as_utc(profile.updated_at),
        }
    )


def coordinator_regions(session: Session, user: User) -> set[str] | None:
    """The regions a coordinator covers; None means all (admins)."""
    if user.role == Role.admin:
        return None
    if user.role != Role.coordinator:
        return set()
    return set(
        session.scalars(
            select(col(CoordinatorRegion.region)).where(col(CoordinatorRegion.user_id) == user.id)
        )
    )
