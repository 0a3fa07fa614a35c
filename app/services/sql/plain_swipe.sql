-- The current definition of the database function `plain_swipe` (PostgreSQL only): the swipe's
-- one-round-trip path, `app/services/swiping.py::try_plain_swipe`.
--
-- It stores a swipe only when every one of `swiping.SWIPE_RULES` holds, and writes nothing
-- otherwise (the general path `swiping.swipe` then decides the answer). Every condition is
-- marked `-- rule: <name>` with the name of the rule it checks; tests/test_plain_swipe.py
-- fails when a rule is missing here or there, and when this text is not what the migrated
-- database holds (`pg_get_functiondef`).
--
-- Changing it: edit this file AND add a migration that creates the function with the new text
-- (copied into the migration: migrations are immutable history, this file moves on).
-- History: 0006 (first), 0007 (daily likes), 0009 (verified addresses), 0014 (rule markers).
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
$$;
