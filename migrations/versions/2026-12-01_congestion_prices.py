"""congestion prices

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('congestion_prices',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('side', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('price', sa.Float(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    with op.batch_alter_table('congestion_prices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_congestion_prices_side'), ['side'], unique=False)
    with op.batch_alter_table('feature_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prices', sa.BigInteger(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('feature_versions', schema=None) as batch_op:
        batch_op.drop_column('prices')
    with op.batch_alter_table('congestion_prices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_congestion_prices_side'))
    op.drop_table('congestion_prices')
