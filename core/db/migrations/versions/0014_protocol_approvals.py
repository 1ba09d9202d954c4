"""protocol editor: second-lead approvals (issue 11)

A protocol change that widens an organisation's reach past the partnership's threshold
waits here for a second lead (core.authz.approvals).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 12:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "protocol_approvals",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("widening", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_protocol_approvals_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_protocol_approvals_requested_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_protocol_approvals_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_protocol_approvals")),
    )
    with op.batch_alter_table("protocol_approvals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_protocol_approvals_tenant_id_decided_at"),
            ["tenant_id", "decided_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("protocol_approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_protocol_approvals_tenant_id_decided_at"))
    op.drop_table("protocol_approvals")
