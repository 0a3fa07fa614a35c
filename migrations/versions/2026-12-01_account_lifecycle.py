"""account lifecycle: login sessions, mailed tokens, email verification, revocation version

- `login_sessions`: one row per login; every existing refresh-token family becomes one
  (its id is the family's), so refresh tokens in use keep working. Access tokens issued
  before this migration carry no session id and are refused (clients refresh once).
- `account_tokens`: single-use, expiring tokens sent by mail (stored as SHA-256).
- `revocation_versions`: bumped with every session revocation (see
  app/services/revocation.py).
- `users.email_verified_at`: existing accounts count as verified.
- `plain_swipe` (PostgreSQL, as of 0007): also requires both the caller and the target to be verified,
  as the general path does.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 21:16:05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('revocation_versions',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('account_tokens',
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("purpose IN ('verify_email', 'password_reset', 'email_change')", name='ck_account_tokens_purpose'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('login_sessions',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('device_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_revoked_at'), ['revoked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)

    # Every refresh-token family (a login) becomes a session with the family's id.
    op.execute(
        "INSERT INTO login_sessions (id, user_id, created_at, last_used_at) "
        "SELECT family, MIN(user_id), MIN(created_at), MAX(created_at) FROM refresh_tokens "
        "GROUP BY family"
    )
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_id', sa.String(length=32), nullable=True))
    op.execute("UPDATE refresh_tokens SET session_id = family")
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.alter_column('session_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_family'))
        batch_op.create_index(batch_op.f('ix_refresh_tokens_session_id'), ['session_id'], unique=False)
        batch_op.create_foreign_key('fk_refresh_tokens_session_id', 'login_sessions', ['session_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_column('family')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))
    # Accounts from before verification existed (and every staff account) count as verified.
    op.execute("UPDATE users SET email_verified_at = created_at WHERE deleted_at IS NULL")

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PLAIN_SWIPE.format(verified=VERIFIED_CALLER, verified_target=VERIFIED_TARGET))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PLAIN_SWIPE.format(verified="", verified_target=""))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')

    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('family', sa.VARCHAR(length=64), nullable=True))
    op.execute("UPDATE refresh_tokens SET family = session_id")
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.alter_column('family', existing_type=sa.VARCHAR(length=64), nullable=False)
        batch_op.drop_constraint('fk_refresh_tokens_session_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_session_id'))
        batch_op.create_index(batch_op.f('ix_refresh_tokens_family'), ['family'], unique=False)
        batch_op.drop_column('session_id')

    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_login_sessions_revoked_at'))

    op.drop_table('login_sessions')
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_tokens_user_id'))

    op.drop_table('account_tokens')
    op.drop_table('revocation_versions')


VERIFIED_CALLER = "\n                    AND u.email_verified_at IS NOT NULL"
VERIFIED_TARGET = "\n                    AND u.email_verified_at IS NOT NULL"

# Migration 0007's function (daily_likes); upgrade adds the two verification conditions,
# downgrade restores it as it was.
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
                    AND p.complete{verified})
      -- the target: a discoverable participant of the other side
      AND EXISTS (SELECT 1 FROM users u JOIN profiles p ON p.user_id = u.id
                  WHERE u.id = p_target AND u.role = 'participant' AND u.deleted_at IS NULL
                    AND p.complete AND p.discoverable{verified_target}
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
