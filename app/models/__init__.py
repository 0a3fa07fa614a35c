"""SQLModel tables, one module per aggregate."""

from app.models.matches import ONGOING, Match, MatchOrigin, MatchStatus
from app.models.messages import MatchRead, Message
from app.models.notifications import Notification
from app.models.profiles import FeatureVersion, Profile
from app.models.ratelimits import RateLimitCounter
from app.models.reports import Report, ReportStatus
from app.models.swipes import Block, DailyLikes, Swipe
from app.models.trajectory import Evaluation, Meeting, Plan
from app.models.users import FORMER_PARTICIPANT, CoordinatorRegion, RefreshToken, Role, Side, User

__all__ = [
    "FORMER_PARTICIPANT",
    "ONGOING",
    "Block",
    "CoordinatorRegion",
    "DailyLikes",
    "Evaluation",
    "FeatureVersion",
    "Match",
    "MatchRead",
    "MatchOrigin",
    "MatchStatus",
    "Meeting",
    "Message",
    "Notification",
    "Plan",
    "Profile",
    "RateLimitCounter",
    "RefreshToken",
    "Report",
    "ReportStatus",
    "Role",
    "Side",
    "Swipe",
    "User",
]
