"""What coordinators see of participants and pairs of their regions: list rows, match rows,
suggested pairs and the CSV exports' lines.

Every person in these is shown as `app/services/visibility.py` decides for the staff member:
the live card (region, place, headline, photo) only with a card, email and contact only with
contact (their own region is the coordinator's).
"""

from collections.abc import Sequence

from app import clock
from app.models import Match, Profile, User
from app.schemas.coordinator import (
    CoordinatorMatch,
    ParticipantRow,
    PartnerSummary,
    SuggestedPair,
    SuggestedPerson,
    SuggestionsOut,
)
from app.schemas.feed import Breakdown
from app.schemas.profiles import Contact, Photo
from app.schemas.trajectory import ProgressOut
from app.schemas.users import UserPublic
from app.services import photos, visibility
from app.services.coordinator import MatchPage, Scope, Suggestion, ended_by_side, is_at_risk
from app.services.matches import confirmations, effective_status
from app.services.profiles import missing_fields
from app.services.visibility import Sight
from app.views.trajectory import evaluations_view


def photo(sight: Sight, profile: Profile | None) -> Photo | None:
    """The photo goes with the live card (never with a stub)."""
    if not sight.shows_card or profile is None:
        return None
    fields = photos.photo_of(profile)
    return Photo.model_validate(fields) if fields else None


def contact(sight: Sight, profile: Profile | None) -> Contact | None:
    if not sight.shows_contact or profile is None or not profile.contact:
        return None
    return Contact.model_validate(profile.contact)


def participant_row(
    user: User, profile: Profile | None, current: str, staff: User, scope: Scope
) -> ParticipantRow:
    """A participant of my regions (the list is scoped so): with email and contact."""
    sight = visibility.staff_sight(
        viewer=staff, regions=scope.regions, subject=user, profile=profile, follows_pair=False
    )
    card = profile if sight.shows_card else None
    return ParticipantRow(
        id=user.id or 0,
        name=user.name,
        email=user.email if sight.shows_contact else None,
        side=user.side,
        region=card.region if card else None,
        place=card.place if card else None,
        headline=card.headline if card else None,
        organisation=card.organisation if card else None,
        status=current,
        complete=bool(profile and profile.complete),
        missing=missing_fields(profile) if profile else ["profile"],
        discoverable=bool(profile and profile.discoverable),
        manager_approval=bool(profile and profile.manager_approval),
        contact=contact(sight, profile),
        photo=photo(sight, profile),
        created_at=clock.as_utc(user.created_at),
    )


def partner_summary(
    user: User, profile: Profile | None, staff: User, scope: Scope, *, photo_shown: bool = True
) -> PartnerSummary:
    """A partner of a pair I follow (or a person named in a report of my regions): contact
    and email only if their own region is mine."""
    sight = visibility.staff_sight(
        viewer=staff, regions=scope.regions, subject=user, profile=profile, follows_pair=True
    )
    return PartnerSummary(
        id=user.id or 0,
        name=user.name,
        email=user.email if sight.shows_contact else None,
        region=profile.region if profile and sight.shows_card else None,
        contact=contact(sight, profile),
        photo=photo(sight, profile) if photo_shown else None,
    )


def match_row(facts: MatchPage, match: Match, viewer: User, scope: Scope) -> CoordinatorMatch:
    """A match of my regions, from what `load_match_page` read for its page."""
    assert match.id is not None
    now = clock.now()
    progress = facts.progress[match.id]
    current = effective_status(match, now)
    teacher_side = confirmations(match, match.teacher_id)

    def summary(user_id: int) -> PartnerSummary:
        return partner_summary(facts.users[user_id], facts.profiles.get(user_id), viewer, scope)

    return CoordinatorMatch(
        id=match.id or 0,
        status=current,
        origin=match.origin,
        teacher=summary(match.teacher_id),
        professional=summary(match.professional_id),
        created_at=clock.as_utc(match.created_at),
        trial_ends_at=clock.as_utc(match.trial_ends_at),
        trial_overdue=current == "trial" and clock.as_utc(match.trial_ends_at) <= now,
        at_risk=is_at_risk(match, progress, now),
        ends_at=clock.as_utc(match.ends_at),
        teacher_confirmed=teacher_side.mine,
        professional_confirmed=teacher_side.partner,
        ended_at=clock.as_utc(match.ended_at) if match.ended_at else None,
        ended_by=ended_by_side(match),
        exit_reason=match.exit_reason,
        exit_note=match.exit_note,
        progress=ProgressOut.model_validate(progress, from_attributes=True),
        evaluations=evaluations_view(
            match, viewer, is_partner=False, filed=facts.evaluations[match.id]
        ),
    )


def suggested_person(user: User, profile: Profile, staff: User, scope: Scope) -> SuggestedPerson:
    """Someone of the region a suggestion pairs (the region is mine: their card)."""
    sight = visibility.staff_sight(
        viewer=staff, regions=scope.regions, subject=user, profile=profile, follows_pair=False
    )
    card = profile if sight.shows_card else None
    return SuggestedPerson(
        id=user.id or 0,
        name=user.name,
        headline=card.headline if card else None,
        place=card.place if card else None,
    )


def suggestions_out(
    region: str,
    pairs: Sequence[Suggestion],
    lone_teachers: list[int],
    lone_pros: list[int],
    staff: User,
    scope: Scope,
) -> SuggestionsOut:
    return SuggestionsOut(
        region=region,
        pairs=[
            SuggestedPair(
                teacher=suggested_person(s.teacher, s.teacher_profile, staff, scope),
                professional=suggested_person(s.professional, s.professional_profile, staff, scope),
                score=s.score,
                breakdown=Breakdown(
                    subject=s.breakdown[0],
                    motivation=s.breakdown[1],
                    region=s.breakdown[2],
                    availability=s.breakdown[3],
                ),
                reasons=s.reasons,
                distance_km=s.distance_km,
            )
            for s in pairs
        ],
        unpaired_teacher_ids=lone_teachers,
        unpaired_professional_ids=lone_pros,
    )


def staff_out(user: User, regions: Sequence[str]) -> UserPublic:
    """A staff account just created, as the admin who created it sees it."""
    return UserPublic(
        id=user.id or 0,
        email=user.email,
        name=user.name,
        role=user.role,
        side=None,
        regions=sorted(set(regions)),
        email_verified=user.email_verified,
    )


# --- CSV exports: the same rows as the lists, as lines ------------------------------------

PARTICIPANT_COLUMNS = [
    "id",
    "name",
    "email",
    "side",
    "region",
    "place",
    "organisation",
    "status",
    "complete",
    "discoverable",
    "manager_approval",
]


def participant_lines(
    batch: Sequence[tuple[User, Profile | None, str]], staff: User, scope: Scope
) -> list[list[object]]:
    shown = [participant_row(u, p, current, staff, scope) for u, p, current in batch]
    return [
        [
            r.id,
            r.name,
            r.email,
            r.side,
            r.region or "",
            r.place or "",
            r.organisation or "",
            r.status,
            r.complete,
            r.discoverable,
            r.manager_approval,
        ]
        for r in shown
    ]


MATCH_COLUMNS = [
    "id",
    "status",
    "origin",
    "teacher_id",
    "teacher_name",
    "professional_id",
    "professional_name",
    "created_at",
    "trial_ends_at",
    "ends_at",
    "ended_at",
    "ended_by",
    "exit_reason",
    "at_risk",
]


def match_lines(
    facts: MatchPage, batch: Sequence[Match], staff: User, scope: Scope
) -> list[list[object]]:
    shown = [match_row(facts, m, staff, scope) for m in batch]
    return [
        [
            r.id,
            r.status,
            r.origin,
            r.teacher.id,
            r.teacher.name,
            r.professional.id,
            r.professional.name,
            r.created_at.isoformat(),
            r.trial_ends_at.isoformat(),
            r.ends_at.isoformat(),
            r.ended_at.isoformat() if r.ended_at else "",
            r.ended_by or "",
            r.exit_reason or "",
            r.at_risk,
        ]
        for r in shown
    ]
