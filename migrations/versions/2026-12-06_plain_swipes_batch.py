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
"""
