"""Who sees what of whom: the one rule every place that shows a person follows.

For a viewer and a subject (a participant) the answer is a `Sight`:

- `contact`: the public card with contact details (and, for staff, the account email);
- `public`: the public card, without contact;
- `stub`: the person in a history, nothing live: id, name and side, every card field empty
  and no contact. Names cannot be changed through the API, so this is the name the match was
  made under (an erased account's is "former participant");
- `hidden`: not at all (the API answers 404, as for someone who does not exist).

The rule (`decide`), from the facts `Relation` holds:

- Everyone sees themselves with contact.
- A participant sees a partner of a match (ongoing or past) with contact. A block between the
  two, in either direction, turns that into a stub for both of them for as long as it stands:
  "we never see each other again", also not the changes either makes afterwards; the match
  stays in both histories. Without a match, a block hides the person altogether, and so does a
  paused profile; otherwise the public card.
- Coordinators see contact of participants whose own profile region (where they are now) is
  one of theirs; admins of everyone. A coordinator who follows a pair through the other
  partner's region sees this person's public card, not their contact. Blocks are between
  participants and change nothing for staff.
- An erased account is a stub for those it shared a match with (or a followed pair), hidden
  for everyone else.

The conversation of a match (`conversation`, from `ConversationFacts`) follows the same
facts:

- Only the two partners, never staff: coordinators do not read conversations (a reported
  message reaches the region's coordinator through its report, see `app/services/reports.py`).
- While the match is ongoing (trial or active) and no block stands, both partners write.
- After it ended, the history stays readable to both.
- A block turns the partner into a stub, and for the conversation it has a direction: the
  person who was blocked loses access altogether (404, as if it never existed) for as long as
  the block stands; the blocker keeps the history read-only, so that they can still report
  what was said. Blocks in both directions: neither reads it.
- A partner who erased their account is a stub; the other keeps the history, read-only.

`decide` and `conversation` are pure; the loaders below gather the facts with as few queries
as their callers need (one person; the partners of a page of matches; the partners of a
coordinator's pairs; one conversation).
The feed builds its cards without this module, for speed: it shows only the public card of
people nobody blocked and never contact (see `app/services/feed.py`);
tests/api/test_feed_visibility.py holds it to `decide` (blocked either way, paused, another
region, matched before, erased): never looser, and each card it shows is the one GET
/profiles/{id} gives. Reports count as a followed pair for the two people they name
(`app/views/reports.py`). Copies of a name made for later (notifications, queued mails and
pushes, stored live events) are rewritten on erasure (`app/services/accounts.py`), so they
say what the stub says. Photo URLs are issued only with a live card (`app/services/photos.py`).
The responses themselves are shaped in `app/views/`.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlmodel import Session, col

from app.models import Block, Match, Profile, Role, User
from app.schemas.profiles import ProfileCard
from app.services import profiles as profile_service
from app.services.coordinator import pairs_in_regions
from app.services.matches import effective_status, involving


class Sight(StrEnum):
    hidden = "hidden"
    stub = "stub"
    public = "public"
    contact = "contact"

    @property
    def shows_card(self) -> bool:
        """The live card: profile fields as they are now."""
        return self in (Sight.public, Sight.contact)

    @property
    def shows_contact(self) -> bool:
        return self is Sight.contact


@dataclass(frozen=True, slots=True)
class Relation:
    """The facts the rule decides on, for one viewer and one subject."""

    viewer_id: int
    viewer_role: str
    subject_id: int
    subject_erased: bool
    matched: bool = False  # participants: a match between the two, ever
    blocked: bool = False  # participants: a block between the two, either way
    discoverable: bool = False  # the subject's profile is not paused
    in_region: bool = False  # staff: the subject's own region is theirs (admins: always)
    follows_pair: bool = False  # staff: a pair of the subject's is in their regions


def decide(r: Relation) -> Sight:
    """What `r.viewer_id` may see of `r.subject_id` (see the module docstring)."""
    if r.viewer_id == r.subject_id:
        return Sight.contact
    if r.viewer_role == Role.participant:
        if r.subject_erased or r.blocked:
            return Sight.stub if r.matched else Sight.hidden
        if r.matched:
            return Sight.contact
        return Sight.public if r.discoverable else Sight.hidden
    if r.viewer_role not in (Role.coordinator, Role.admin):
        return Sight.hidden
    if r.subject_erased:
        return Sight.stub if r.in_region or r.follows_pair else Sight.hidden
    if r.in_region:
        return Sight.contact
    return Sight.public if r.follows_pair else Sight.hidden


class Conversation(StrEnum):
    none = "none"  # not at all: the API answers 404
    read = "read"  # the history, read-only
    write = "write"

    @property
    def readable(self) -> bool:
        return self is not Conversation.none


@dataclass(frozen=True, slots=True)
class ConversationFacts:
    """The facts the conversation rule decides on, for one viewer and one match."""

    viewer_role: str
    is_partner: bool
    ongoing: bool  # the match is in trial or active
    blocked_by_partner: bool  # the partner blocked the viewer
    blocked_by_viewer: bool  # the viewer blocked the partner
    partner_erased: bool


def conversation(f: ConversationFacts) -> Conversation:
    """What the viewer may do in a match's conversation (see the module docstring)."""
    if f.viewer_role != Role.participant or not f.is_partner or f.blocked_by_partner:
        return Conversation.none
    if f.blocked_by_viewer or f.partner_erased or not f.ongoing:
        return Conversation.read
    return Conversation.write


def in_regions(regions: frozenset[str] | set[str] | None, profile: Profile | None) -> bool:
    """Whether the subject's own (current) region is one of `regions` (None: every region)."""
    if regions is None:
        return True
    return profile is not None and profile.region is not None and profile.region in regions


# --- loaders ------------------------------------------------------------------------------


def sight_of(session: Session, *, viewer: User, subject: User, profile: Profile | None) -> Sight:
    """One viewer, one subject (a profile card)."""
    assert viewer.id is not None and subject.id is not None
    facts = Relation(
        viewer_id=viewer.id,
        viewer_role=viewer.role,
        subject_id=subject.id,
        subject_erased=subject.is_deleted,
        discoverable=bool(profile and profile.discoverable),
    )
    if viewer.id == subject.id:
        return decide(facts)
    if viewer.role == Role.participant:
        pair = or_(
            and_(col(Match.teacher_id) == viewer.id, col(Match.professional_id) == subject.id),
            and_(col(Match.teacher_id) == subject.id, col(Match.professional_id) == viewer.id),
        )
        matched, blocked = session.execute(
            select(exists().where(pair), exists().where(_blocks_between(viewer.id, [subject.id])))
        ).one()
        return decide(replace(facts, matched=bool(matched), blocked=bool(blocked)))
    regions = profile_service.coordinator_regions(session, viewer)
    in_region = in_regions(regions, profile)
    follows = False
    if not in_region and regions:
        clause = pairs_in_regions(frozenset(regions))
        assert clause is not None
        follows = bool(session.scalar(select(exists().where(involving(subject.id), clause))))
    return decide(replace(facts, in_region=in_region, follows_pair=follows))


def conversation_facts(session: Session, *, viewer: User, match: Match) -> ConversationFacts:
    """The facts for one viewer and one match's conversation: one query (blocks both ways,
    the partner's account), on the match as the session holds it (lock it to decide a write)."""
    assert viewer.id is not None
    if viewer.role != Role.participant or not match.involves(viewer.id):
        return ConversationFacts(viewer.role, False, False, False, False, False)
    partner_id = match.partner_of(viewer.id)
    by_partner, by_viewer, partner_deleted_at = session.execute(
        select(
            exists().where(col(Block.blocker_id) == partner_id, col(Block.blocked_id) == viewer.id),
            exists().where(col(Block.blocker_id) == viewer.id, col(Block.blocked_id) == partner_id),
            select(col(User.deleted_at)).where(col(User.id) == partner_id).scalar_subquery(),
        )
    ).one()
    return ConversationFacts(
        viewer_role=viewer.role,
        is_partner=True,
        ongoing=effective_status(match) in ("trial", "active"),
        blocked_by_partner=bool(by_partner),
        blocked_by_viewer=bool(by_viewer),
        partner_erased=partner_deleted_at is not None,
    )


def conversation_of(session: Session, *, viewer: User, match: Match) -> Conversation:
    return conversation(conversation_facts(session, viewer=viewer, match=match))


def conversation_partner_sight(f: ConversationFacts, *, viewer_id: int, partner_id: int) -> Sight:
    """How a partner in the conversation sees the other (their live read receipts only with
    the card): `decide` on the same facts."""
    return decide(
        Relation(
            viewer_id=viewer_id,
            viewer_role=f.viewer_role,
            subject_id=partner_id,
            subject_erased=f.partner_erased,
            matched=f.is_partner,
            blocked=f.blocked_by_partner or f.blocked_by_viewer,
        )
    )


def partner_sights(
    session: Session, *, viewer_id: int, partner_ids: Iterable[int]
) -> dict[int, Sight]:
    """How a participant sees the partners of their own matches: one query for all of them."""
    ids = sorted(set(partner_ids))
    if not ids:
        return {}
    users = {u.id: u for u in session.scalars(select(User).where(col(User.id).in_(ids)))}
    blocks = session.execute(
        select(col(Block.blocker_id), col(Block.blocked_id)).where(_blocks_between(viewer_id, ids))
    ).all()
    blocked = {b for pair in blocks for b in pair} - {viewer_id}
    out = {}
    for partner_id in ids:
        user = users.get(partner_id)
        facts = Relation(
            viewer_id=viewer_id,
            viewer_role=Role.participant,
            subject_id=partner_id,
            subject_erased=user is None or user.is_deleted,
            matched=True,
            blocked=partner_id in blocked,
        )
        out[partner_id] = decide(facts)
    return out


def new_match_partner_sight(*, viewer_id: int, partner_id: int) -> Sight:
    """A partner of a match this very request created: no lookup needed (and none added to
    the swipe's path), because a match is only created after checking, under both users'
    locks, that neither blocked the other and both accounts exist."""
    return decide(
        Relation(
            viewer_id=viewer_id,
            viewer_role=Role.participant,
            subject_id=partner_id,
            subject_erased=False,
            matched=True,
            blocked=False,
        )
    )


def staff_sight(
    *,
    viewer: User,
    regions: frozenset[str] | None,
    subject: User,
    profile: Profile | None,
    follows_pair: bool,
) -> Sight:
    """How staff with these regions see a participant: `follows_pair` when the caller knows a
    pair of the subject's is in the staff member's regions (a coordinator's match rows)."""
    assert viewer.id is not None and subject.id is not None
    return decide(
        Relation(
            viewer_id=viewer.id,
            viewer_role=viewer.role,
            subject_id=subject.id,
            subject_erased=subject.is_deleted,
            in_region=in_regions(regions, profile),
            follows_pair=follows_pair,
        )
    )


# --- rendering ----------------------------------------------------------------------------


def card_for(sight: Sight, user: User, profile: Profile | None) -> ProfileCard:
    """The card a viewer with this sight gets (callers answer 404 for `hidden` first)."""
    if not sight.shows_card:
        return profile_service.card(None, user)  # the stub: id, name, side
    return profile_service.card(profile, user, with_contact=sight.shows_contact)


def _blocks_between(viewer_id: int, others: list[int]) -> ColumnElement[bool]:
    """Blocks between the viewer and any of `others`, in either direction."""
    return or_(
        and_(col(Block.blocker_id) == viewer_id, col(Block.blocked_id).in_(others)),
        and_(col(Block.blocked_id) == viewer_id, col(Block.blocker_id).in_(others)),
    )
