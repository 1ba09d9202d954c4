"""relations made by decisions

Who works with a person (``person_organisations``) and who is allocated to them
(``person_assignments``) is now made only by a decision: each row says who decided and
why. ``decided_by`` carries no foreign key: the record of a decision outlives the
account, and on SQLite a key could only be added by rebuilding the tables, which would
drop the caseload triggers of 0005.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


TABLES = ("person_organisations", "person_assignments")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("decided_by", sa.Uuid(), nullable=True))
        op.add_column(table, sa.Column("decision_note", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "decision_note")
        op.drop_column(table, "decided_by")
