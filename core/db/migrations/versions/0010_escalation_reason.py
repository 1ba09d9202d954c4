"""daily meeting: why a case was escalated (issue 12)

An escalation now goes through a confirmation that asks why; the reason is kept on the
complex-case meeting it made (and in the audit event), so that meeting can say why it was
called. The named owner of an action needs no column: ``meeting_actions.owner_user_id``
(a foreign key to ``users``) has been in the schema since 0001, and is now offered on the
page and validated against the owning organisation's members.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 12:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain nullable column: SQLite adds it without rebuilding the table.
    op.add_column("case_meetings", sa.Column("escalation_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("case_meetings", "escalation_reason")
