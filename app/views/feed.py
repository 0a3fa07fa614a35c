"""The swipe deck's page as the participant browsing it sees it."""

from typing import Any

import orjson

from app.services.feature_store import Card
from app.services.feed import FeedPage
from app.services.photos import photo_fields

_CARD_END = b',"contact":null}'  # contact is never on a feed card


def _profile(card: Card) -> orjson.Fragment:
    """The card as JSON: the part kept in memory, then its photo (URLs signed per page)."""
    photo = orjson.dumps(photo_fields(*card.photo))
    return orjson.Fragment(b"".join((card.json, b',"photo":', photo, _CARD_END)))


def page_document(result: FeedPage) -> dict[str, Any]:
    """The page as FeedPageOut's JSON document (for `orjson.dumps`), built directly from the
    feed's values.

    The feed is the busiest read: validating ~20 cards with pydantic and serialising them
    again cost about a tenth of the request, so the cards' JSON is kept with them
    (`feature_store.Card`). The values come from our own columns and ranking, already in the
    model's types; tests/api/test_feed.py checks on both databases that the body is exactly
    what FeedPageOut makes of it (every field, no extra ones).
    """
    return {
        "items": [
            {
                "profile": _profile(item.card),
                "score": item.score,
                "breakdown": item.breakdown,
                "reasons": item.reasons,
                "distance_km": item.distance_km,
            }
            for item in result.items
        ],
        "next_cursor": result.next_cursor,
    }
