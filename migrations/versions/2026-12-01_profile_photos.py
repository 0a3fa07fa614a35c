"""profile photos

The photo of a profile: the content-derived key of its stored images (a card image and a
square thumbnail, see app/services/photos.py) and the card image's size. The images live in
the media storage (a directory or an S3 bucket), not in the database; the index serves the
reference checks before an object is removed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("profiles", sa.Column("photo_key", sa.String(length=64), nullable=True))
    op.add_column("profiles", sa.Column("photo_width", sa.Integer(), nullable=True))
    op.add_column("profiles", sa.Column("photo_height", sa.Integer(), nullable=True))
    op.create_index("ix_profiles_photo_key", "profiles", ["photo_key"])


def downgrade() -> None:
    op.drop_index("ix_profiles_photo_key", table_name="profiles")
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("photo_height")
        batch.drop_column("photo_width")
        batch.drop_column("photo_key")
