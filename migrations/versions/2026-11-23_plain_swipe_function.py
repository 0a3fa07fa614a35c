"""plain swipe function (PostgreSQL)

The common case of POST /swipes in one round trip: lock both users, then insert the swipe
only if every rule of `app.services.swiping.swipe` allows it and it cannot start a match.
Each statement of a (volatile) PL/pgSQL function takes a fresh snapshot in READ COMMITTED, so
the insert's checks see whatever a concurrent swipe committed while this one waited for the
locks — what two separate statements from the application would see, without the round trips.
SQLite has no such function; there the application takes the general path.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 07:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CREATE = """
CREATE OR REPLACE FUNCTION plain_swipe(
    p_me integer,
    p_target integer,
    p_decision text,
    p_now timestamptz,
    p_day_start timestamptz,
    p_likes_per_day integer
) RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    -- Serialise with every other swipe, match or block of either user (id order: no deadlock).
    PERFORM 1 FROM users WHERE id IN (p_me, p_target) ORDER BY id FOR NO KEY UPDATE;

    INSERT INTO swipes (swiper_id, target_id, decision, created_at)
    SELECT p_me, p_target, p_decision, p_now
    WHERE p_me <> p_target
      -- the caller: a participant with a complete profile
      AND EXISTS (SELECT 1 FROM users u JOIN profiles p ON p.user_id = u.id
                  WHERE u.id = p_me AND u.role = 'participant' AND u.deleted_at IS NULL
                    AND p.complete)
      -- the target: a discoverable participant of the other side
      AND EXISTS (SELECT 1 FROM users u JOIN profiles p ON p.user_id = u.id
                  WHERE u.id = p_target AND u.role = 'participant' AND u.deleted_at IS NULL
                    AND p.complete AND p.discoverable
                    AND u.side <> (SELECT side FROM users WHERE id = p_me))
      AND NOT EXISTS (SELECT 1 FROM blocks
                      WHERE (blocker_id = p_me AND blocked_id = p_target)
                         OR (blocker_id = p_target AND blocked_id = p_me))
      -- not a retry
      AND NOT EXISTS (SELECT 1 FROM swipes WHERE swiper_id = p_me AND target_id = p_target)
      AND (p_decision = 'pass' OR (
            -- within today's likes ...
            (SELECT count(*) FROM swipes
             WHERE swiper_id = p_me AND decision = 'like' AND created_at >= p_day_start)
              < p_likes_per_day
            -- ... and no like from the target, which may start a match
            AND NOT EXISTS (SELECT 1 FROM swipes
                            WHERE swiper_id = p_target AND target_id = p_me
                              AND decision = 'like')));
    RETURN FOUND;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS plain_swipe(integer, integer, text, timestamptz, "
            "timestamptz, integer)"
        )
