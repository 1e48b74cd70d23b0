"""project editing in Teams: edit version, registration closed by hand, copied-from, cancelled meetings

Revision ID: 5b7e0c1d2a17
Revises: 1e07c46d1298
Create Date: 2026-12-06 20:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models  # noqa: F401  (custom column types)

revision: str = "5b7e0c1d2a17"
down_revision: str | None = "1e07c46d1298"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edit_version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("registration_closed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("copied_from_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", storage.models.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("cancelled_at")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("copied_from_id")
        batch_op.drop_column("registration_closed")
        batch_op.drop_column("edit_version")
