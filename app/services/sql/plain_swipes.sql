-- The current definition of the database function `plain_swipes` (PostgreSQL only): several
-- plain swipes in one round trip and one transaction, `app/services/swipe_batches.py`.
--
-- Each element is `plain_swipe` itself (app/services/sql/plain_swipe.sql: every rule is
-- checked there, and only there); the result holds, per element, whether it was stored.
-- Elements run in order and each sees the ones before it: the same swipe twice stores the
-- first (the second is a retry for the general path), and a like answering a like earlier in
-- the batch is left to the general path, which starts the match.
--
-- Changing it: edit this file AND add a migration that creates the function with the new text.
-- History: 0015 (first).
CREATE OR REPLACE FUNCTION plain_swipes(
    p_me integer[],
    p_target integer[],
    p_decision text[],
    p_now timestamptz,
    p_day_start timestamptz,
    p_likes_per_day integer
) RETURNS boolean[]
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    stored boolean[] := '{}';
BEGIN
    -- Every user of the batch locked up front, in id order, as a single swipe, a match or a
    -- block locks its two (`plain_swipe`, `app/db.py::lock_users`): no deadlock between
    -- batches, single swipes and the general path. Each `plain_swipe` below locks its pair
    -- again, which a transaction holding the locks already passes at once.
    PERFORM 1 FROM users WHERE id = ANY (p_me || p_target) ORDER BY id FOR NO KEY UPDATE;
    FOR i IN 1 .. coalesce(array_length(p_me, 1), 0) LOOP
        stored := stored || plain_swipe(
            p_me[i], p_target[i], p_decision[i], p_now, p_day_start, p_likes_per_day);
    END LOOP;
    RETURN stored;
END
$$;
