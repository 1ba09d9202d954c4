"""summary sendings: the episode summary sent to the Offender Manager (issue 10)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 14:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "summary_sendings"


def _case_key(ref: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", ref],
        [f"{target}.tenant_id", f"{target}.id"],
        name=op.f(f"fk_{TABLE}_tenant_id_{ref}_{target}"),
        ondelete="RESTRICT",
    )


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("episode_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_organisation_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("sent_by", sa.Uuid(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{TABLE}_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        _case_key("person_id", "persons"),
        _case_key("episode_id", "episodes"),
        _case_key("organisation_id", "organisations"),
        _case_key("recipient_organisation_id", "organisations"),
        sa.ForeignKeyConstraint(["sent_by"], ["users.id"], name=op.f(f"fk_{TABLE}_sent_by_users")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{TABLE}")),
    )
    with op.batch_alter_table(TABLE) as batch_op:
        batch_op.create_index(
            batch_op.f(f"ix_{TABLE}_tenant_id_person_id_sent_at"),
            ["tenant_id", "person_id", "sent_at"],
        )


def downgrade() -> None:
    op.drop_table(TABLE)
