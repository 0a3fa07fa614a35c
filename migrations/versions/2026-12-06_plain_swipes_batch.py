"""plain_swipes: several plain swipes in one round trip and one transaction

The swipe's fast path stores the plain swipes that arrive together in a process as one batch
(a group commit, app/services/swipe_batches.py): one statement, one transaction, one commit
for all of them instead of one each. Each element is `plain_swipe` itself, so the rules stay
in one place. The current definition lives in app/services/sql/plain_swipes.sql; this
migration keeps its own copy (migrations are history).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 11:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PLAIN_SWIPES)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION plain_swipes(integer[], integer[], text[], timestamptz, "
                   "timestamptz, integer)")


PLAIN_SWIPES = """
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
"""
