"""SQLModel tables, one module per aggregate."""

from app.models.mail import MailDigestSlot, NotificationSetting, OutboxMail
from app.models.matches import ONGOING, Match, MatchOrigin, MatchStatus
from app.models.notifications import Notification
from app.models.profiles import CongestionPrice, FeatureVersion, Profile
from app.models.ratelimits import RateLimitCounter
from app.models.swipes import Block, DailyLikes, Swipe
from app.models.trajectory import Evaluation, Meeting, Plan
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

__all__ = [
    "FORMER_PARTICIPANT",
    "AccountToken",
    "ONGOING",
    "Block",
    "CongestionPrice",
    "CoordinatorRegion",
    "DailyLikes",
    "Evaluation",
    "FeatureVersion",
    "LoginSession",
    "MailDigestSlot",
    "Match",
    "MatchOrigin",
    "MatchStatus",
    "Meeting",
    "Notification",
    "NotificationSetting",
    "OutboxMail",
    "Plan",
    "Profile",
    "RateLimitCounter",
    "RefreshToken",
    "RevocationVersion",
    "Role",
    "Side",
    "Swipe",
    "TokenPurpose",
    "User",
]
