"""mail outbox, digest slots, notification settings, users.language

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain SQL that both SQLite and PostgreSQL accept: SQLite adds a column with a CHECK
    # without rebuilding the table (a rebuild would cascade-delete through the foreign keys).
    op.execute(
        "ALTER TABLE users ADD COLUMN language VARCHAR(2) DEFAULT 'nl' NOT NULL "
        "CONSTRAINT ck_users_language CHECK (language IN ('nl', 'en'))"
    )
    op.create_table(
        'mail_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('to_address', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('template', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column('context', sa.JSON(), nullable=False),
        sa.Column('essential', sa.Boolean(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('rejections', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('merged_into', sa.Integer(), nullable=True),
        sa.Column(
            'unsubscribe_token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'merged', 'skipped')",
            name='ck_mail_outbox_status',
        ),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['merged_into'], ['mail_outbox.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('message_id'),
        sa.UniqueConstraint('unsubscribe_token_hash'),
    )
    op.create_index('ix_mail_outbox_due', 'mail_outbox', ['status', 'next_attempt_at'])
    op.create_index('ix_mail_outbox_user_kind', 'mail_outbox', ['user_id', 'kind', 'status'])
    op.create_index('ix_mail_outbox_merged_into', 'mail_outbox', ['merged_into'])
    op.create_table(
        'mail_digest_slots',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('day', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('mail_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['mail_id'], ['mail_outbox.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'kind', 'day'),
    )
    op.create_table(
        'notification_settings',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('mail', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'type'),
    )


def downgrade() -> None:
    op.drop_table('notification_settings')
    op.drop_table('mail_digest_slots')
    op.drop_index('ix_mail_outbox_merged_into', table_name='mail_outbox')
    op.drop_index('ix_mail_outbox_user_kind', table_name='mail_outbox')
    op.drop_index('ix_mail_outbox_due', table_name='mail_outbox')
    op.drop_table('mail_outbox')
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint('ck_users_language', type_='check')
        batch.drop_column('language')
