"""The swipe deck's page as the participant browsing it sees it."""

from typing import Any

from app.services import profiles as profile_service
from app.services.feed import FeedPage

_NO_CONTACT = {"contact": None}  # never on a feed card


def page_document(result: FeedPage) -> dict[str, Any]:
    """The page as FeedPageOut's JSON document, built directly from the feed's values.

    The feed is the busiest read: validating ~20 cards with pydantic and serialising them
    again cost about a tenth of the request. The values come from our own columns and
    ranking, already in the model's types; tests/api/test_feed.py checks on both databases
    that the body is exactly what FeedPageOut makes of it (every field, no extra ones).
    """
    return {
        "items": [
            {
                "profile": profile_service.card_fields_from_row(item.profile) | _NO_CONTACT,
                "score": item.score,
                "breakdown": item.breakdown,
                "reasons": item.reasons,
                "distance_km": item.distance_km,
            }
            for item in result.items
        ],
        "next_cursor": result.next_cursor,
    }
