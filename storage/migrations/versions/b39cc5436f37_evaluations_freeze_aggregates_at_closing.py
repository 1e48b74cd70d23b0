"""evaluations freeze aggregates at closing

Revision ID: b39cc5436f37
Revises: 9c15d0a1b2c3
Create Date: 2026-12-06 19:52:40.125559
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models  # noqa: F401  (custom column types)

revision: str = "b39cc5436f37"
down_revision: str | None = "9c15d0a1b2c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.alter_column("submitted_at", existing_type=storage.models.UtcDateTime(timezone=True), nullable=True)
        batch_op.alter_column("updated_at", existing_type=storage.models.UtcDateTime(timezone=True), nullable=True)

    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invited_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("breakdown", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.drop_column("breakdown")
        batch_op.drop_column("invited_count")
    # Answers frozen at closing have no timestamps: downgrading cannot restore NOT NULL on them.
