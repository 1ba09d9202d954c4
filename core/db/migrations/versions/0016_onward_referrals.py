"""onward referrals: from the partnership to psychology, community treatment, mutual aid (issue 10)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 13:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "onward_referrals"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("episode_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("route", sa.String(length=32), nullable=True),
        sa.Column("receiving_service", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_on", sa.Date(), nullable=False),
        sa.Column("appointment_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{TABLE}_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        *[
            sa.ForeignKeyConstraint(
                ["tenant_id", ref],
                [f"{target}.tenant_id", f"{target}.id"],
                name=op.f(f"fk_{TABLE}_tenant_id_{ref}_{target}"),
                ondelete="RESTRICT",
            )
            for ref, target in (
                ("person_id", "persons"),
                ("episode_id", "episodes"),
                ("organisation_id", "organisations"),
            )
        ],
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f(f"fk_{TABLE}_created_by_users")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{TABLE}")),
    )
    with op.batch_alter_table(TABLE) as batch_op:
        batch_op.create_index(
            batch_op.f(f"ix_{TABLE}_tenant_id_person_id_sent_on"),
            ["tenant_id", "person_id", "sent_on"],
        )
        batch_op.create_index(
            batch_op.f(f"ix_{TABLE}_tenant_id_service_status"),
            ["tenant_id", "service", "status"],
        )


def downgrade() -> None:
    op.drop_table(TABLE)
