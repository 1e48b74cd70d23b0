"""meeting substitutes: a colleague sent to one meeting in place of someone who cannot come

Revision ID: a16e5b0d4c21
Revises: 5b7e0c1d2a17
Create Date: 2026-12-06 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models  # noqa: F401  (custom column types)

revision: str = "a16e5b0d4c21"
down_revision: str | None = "5b7e0c1d2a17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_substitute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=20), nullable=True),
        sa.Column("code_expires_at", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["registration_id"], ["registration.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("registration_id", "meeting_id", name="uq_substitute_registration_meeting"),
    )
    with op.batch_alter_table("meeting_substitute", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_substitute_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_substitute_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_substitute_registration_id"), ["registration_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("meeting_substitute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_substitute_registration_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_substitute_person_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_substitute_meeting_id"))
    op.drop_table("meeting_substitute")
