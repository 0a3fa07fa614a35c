"""The caller's own lists: my swipes and my blocks."""

from app import clock
from app.models import Block
from app.schemas.matches import MyBlockOut, MySwipeOut
from app.services.my_lists import SwipeRow


def my_swipe_out(row: SwipeRow) -> MySwipeOut:
    return MySwipeOut(
        target_id=row.swipe.target_id,
        decision=row.swipe.decision,
        created_at=clock.as_utc(row.swipe.created_at),
        undoable=row.undoable,
    )


def my_block_out(block: Block, name: str) -> MyBlockOut:
    """A block of mine: the person's name, which I saw when I blocked them (visibility: the
    blocker's own list), 'former participant' once they are gone."""
    return MyBlockOut(
        user_id=block.blocked_id, created_at=clock.as_utc(block.created_at), name=name
    )
