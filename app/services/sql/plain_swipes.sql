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
    mine integer[] := '{}';
    free record;
BEGIN
    -- The batch's users that no other transaction holds, locked in id order without waiting
    -- (SKIP LOCKED): a batch never waits for a lock, so it can neither deadlock with another
    -- batch, a single swipe or the general path (which lock in id order and wait), nor hold up
    -- the other swipes of the batch while one user's row is busy elsewhere. A swipe whose
    -- users were not both free is not stored here: the general path takes it and waits for
    -- its own pair as usual. Each `plain_swipe` below locks its pair again, which a
    -- transaction holding the locks already passes at once.
    FOR free IN SELECT id FROM users WHERE id = ANY (p_me || p_target)
                ORDER BY id FOR NO KEY UPDATE SKIP LOCKED LOOP
        mine := mine || free.id;
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(p_me, 1), 0) LOOP
        IF p_me[i] = ANY (mine) AND p_target[i] = ANY (mine) THEN
            stored := stored || plain_swipe(
                p_me[i], p_target[i], p_decision[i], p_now, p_day_start, p_likes_per_day);
        ELSE
            stored := stored || false;
        END IF;
    END LOOP;
    RETURN stored;
END
$$;
