"""SQLModel tables, one module per aggregate."""

from app.models.events import (
    Event,
    EventSequence,
    OutboxPush,
    PushStatus,
    PushSubscription,
    StreamPresence,
    StreamTicket,
)
from app.models.mail import MailDigestSlot, MailStatus, NotificationSetting, OutboxMail
from app.models.matches import ONGOING, Match, MatchOrigin, MatchStatus
from app.models.messages import MatchRead, Message
from app.models.notifications import Notification
from app.models.profiles import CongestionPrice, FeatureVersion, MatchMode, Profile
from app.models.ratelimits import RateLimitCounter
from app.models.reports import Report, ReportStatus
from app.models.swipes import Block, DailyLikes, Decision, Swipe
from app.models.trajectory import Evaluation, EvaluationKind, Meeting, Plan
from app.models.users import (
    FORMER_PARTICIPANT,
    AccountToken,
    CoordinatorRegion,
    LoginSession,
    RefreshToken,
    RevocationVersion,
    Role,
    Side,
    TokenPurpose,
    User,
)

# Session events that keep the feature store fresh: registered with the models, so that no
# session that can write a profile exists without them.
from app.models import freshness  # noqa: E402,F401  isort: skip

__all__ = [
    "StreamTicket",
    "StreamPresence",
    "PushStatus",
    "PushSubscription",
    "OutboxPush",
    "EventSequence",
    "Event",
    "FORMER_PARTICIPANT",
    "AccountToken",
    "ONGOING",
    "Block",
    "CongestionPrice",
    "CoordinatorRegion",
    "DailyLikes",
    "Decision",
    "Evaluation",
    "EvaluationKind",
    "FeatureVersion",
    "LoginSession",
    "MailDigestSlot",
    "MailStatus",
    "MatchMode",
    "Match",
    "MatchRead",
    "MatchOrigin",
    "MatchStatus",
    "Meeting",
    "Message",
    "Notification",
    "NotificationSetting",
    "OutboxMail",
    "Plan",
    "Profile",
    "RateLimitCounter",
    "RefreshToken",
    "RevocationVersion",
    "Report",
    "ReportStatus",
    "Role",
    "Side",
    "Swipe",
    "TokenPurpose",
    "User",
]
