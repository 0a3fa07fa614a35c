"""daily likes: count likes made per day, so undo does not give them back

`daily_likes` holds, per participant and UTC day, how many likes they made; the trigger
`swipes_count_likes` adds one in the statement that inserts a like into `swipes` (both
databases), so the general path and `plain_swipe` count alike and undo (which deletes the
swipe) leaves the count alone. Existing likes are counted once here.

`plain_swipe` (PostgreSQL) is created anew: its limit check reads the day's count instead of
counting the likes that still exist. Same signature and everything else as in 0006.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_COUNT_LIKE = """
CREATE OR REPLACE FUNCTION count_like() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO daily_likes (user_id, day, likes)
    VALUES (NEW.swiper_id, (NEW.created_at AT TIME ZONE 'UTC')::date, 1)
    ON CONFLICT (user_id, day) DO UPDATE SET likes = daily_likes.likes + 1;
    RETURN NULL;
END
$$
"""

PG_TRIGGER = """
CREATE TRIGGER swipes_count_likes AFTER INSERT ON swipes
FOR EACH ROW WHEN (NEW.decision = 'like') EXECUTE FUNCTION count_like()
"""

SQLITE_TRIGGER = """
CREATE TRIGGER swipes_count_likes AFTER INSERT ON swipes
FOR EACH ROW WHEN NEW.decision = 'like'
BEGIN
    INSERT INTO daily_likes (user_id, day, likes)
    VALUES (NEW.swiper_id, date(NEW.created_at), 1)
    ON CONFLICT (user_id, day) DO UPDATE SET likes = likes + 1;
END
"""

PLAIN_SWIPE = """
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

    -- A like inserted here is counted in daily_likes by the trigger swipes_count_likes.
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
            -- within the likes made today, undone ones included ...
            COALESCE((SELECT likes FROM daily_likes
                      WHERE user_id = p_me AND day = (p_day_start AT TIME ZONE 'UTC')::date), 0)
              < p_likes_per_day
            -- ... and no like from the target, which may start a match
            AND NOT EXISTS (SELECT 1 FROM swipes
                            WHERE swiper_id = p_target AND target_id = p_me
                              AND decision = 'like')));
    RETURN FOUND;
END
$$
"""

# 0006's definition, for the downgrade.
PLAIN_SWIPE_0006 = """
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
    PERFORM 1 FROM users WHERE id IN (p_me, p_target) ORDER BY id FOR NO KEY UPDATE;

    INSERT INTO swipes (swiper_id, target_id, decision, created_at)
    SELECT p_me, p_target, p_decision, p_now
    WHERE p_me <> p_target
      AND EXISTS (SELECT 1 FROM users u JOIN profiles p ON p.user_id = u.id
                  WHERE u.id = p_me AND u.role = 'participant' AND u.deleted_at IS NULL
                    AND p.complete)
      AND EXISTS (SELECT 1 FROM users u JOIN profiles p ON p.user_id = u.id
                  WHERE u.id = p_target AND u.role = 'participant' AND u.deleted_at IS NULL
                    AND p.complete AND p.discoverable
                    AND u.side <> (SELECT side FROM users WHERE id = p_me))
      AND NOT EXISTS (SELECT 1 FROM blocks
                      WHERE (blocker_id = p_me AND blocked_id = p_target)
                         OR (blocker_id = p_target AND blocked_id = p_me))
      AND NOT EXISTS (SELECT 1 FROM swipes WHERE swiper_id = p_me AND target_id = p_target)
      AND (p_decision = 'pass' OR (
            (SELECT count(*) FROM swipes
             WHERE swiper_id = p_me AND decision = 'like' AND created_at >= p_day_start)
              < p_likes_per_day
            AND NOT EXISTS (SELECT 1 FROM swipes
                            WHERE swiper_id = p_target AND target_id = p_me
                              AND decision = 'like')));
    RETURN FOUND;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        'daily_likes',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('likes', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'day'),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    day = "(created_at AT TIME ZONE 'UTC')::date" if postgresql else "date(created_at)"
    op.execute(
        f"INSERT INTO daily_likes (user_id, day, likes) "
        f"SELECT swiper_id, {day}, count(*) FROM swipes WHERE decision = 'like' "
        f"GROUP BY swiper_id, {day}"
    )
    if postgresql:
        op.execute(PG_COUNT_LIKE)
        op.execute(PG_TRIGGER)
        op.execute(PLAIN_SWIPE)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS swipes_count_likes" + (
        " ON swipes" if op.get_bind().dialect.name == "postgresql" else ""
    ))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS count_like()")
        op.execute(PLAIN_SWIPE_0006)
    op.drop_table('daily_likes')
