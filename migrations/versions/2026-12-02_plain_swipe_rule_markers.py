"""plain_swipe: each condition marked with the swipe rule it checks

The function's logic is unchanged (migration 0009's); its body now names, in a
`-- rule: <name>` comment per condition, the rule of `app.services.swiping.SWIPE_RULES` it
checks, so that tests/test_plain_swipe.py can hold both paths to one list of rules. The
current definition lives in app/services/sql/plain_swipe.sql; this migration keeps its own
copy (migrations are history: the file moves on, this text does not).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 01:20:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PLAIN_SWIPE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PLAIN_SWIPE_0009)


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
    WHERE p_me <> p_target  -- rule: not_self
      AND EXISTS (SELECT 1 FROM users u JOIN profiles p ON p.user_id = u.id
                  WHERE u.id = p_me
                    AND u.role = 'participant' AND u.deleted_at IS NULL  -- rule: caller_may_swipe
                    AND u.email_verified_at IS NOT NULL  -- rule: caller_may_swipe
                    AND p.complete)  -- rule: caller_complete
      AND EXISTS (SELECT 1 FROM users u JOIN profiles p ON p.user_id = u.id
                  WHERE u.id = p_target
                    AND u.role = 'participant' AND u.deleted_at IS NULL  -- rule: target_participant
                    AND p.complete  -- rule: target_complete
                    AND p.discoverable  -- rule: target_discoverable
                    AND u.email_verified_at IS NOT NULL  -- rule: target_verified
                    AND u.side <> (SELECT side FROM users WHERE id = p_me))  -- rule: other_side
      AND NOT EXISTS (SELECT 1 FROM blocks  -- rule: not_blocked
                      WHERE (blocker_id = p_me AND blocked_id = p_target)
                         OR (blocker_id = p_target AND blocked_id = p_me))
      AND NOT EXISTS (SELECT 1 FROM swipes  -- rule: not_a_retry
                      WHERE swiper_id = p_me AND target_id = p_target)
      AND (p_decision = 'pass' OR (
            -- within the likes made today, undone ones included ...
            COALESCE((SELECT likes FROM daily_likes  -- rule: within_daily_likes
                      WHERE user_id = p_me AND day = (p_day_start AT TIME ZONE 'UTC')::date), 0)
              < p_likes_per_day
            -- ... and no like from the target, which may start a match
            AND NOT EXISTS (SELECT 1 FROM swipes  -- rule: no_like_from_target
                            WHERE swiper_id = p_target AND target_id = p_me
                              AND decision = 'like')));
    RETURN FOUND;
END
$$
"""

# Migration 0009's definition, restored by downgrade.
PLAIN_SWIPE_0009 = """
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
                    AND p.complete
                    AND u.email_verified_at IS NOT NULL)
      -- the target: a discoverable participant of the other side
      AND EXISTS (SELECT 1 FROM users u JOIN profiles p ON p.user_id = u.id
                  WHERE u.id = p_target AND u.role = 'participant' AND u.deleted_at IS NULL
                    AND p.complete AND p.discoverable
                    AND u.email_verified_at IS NOT NULL
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
