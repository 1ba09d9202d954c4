"""record page: reason kept when consent is withdrawn (issue 12)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("consents", sa.Column("withdrawal_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("consents", "withdrawal_reason")
