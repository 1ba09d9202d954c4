"""lead's administration: invites, deactivation, sign-in times (issue 11)

Invitations (a one-time link or a temporary password, stored hashed, with an expiry),
organisations that have left the partnership, and memberships that end on a set date.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["tenants.id"],
        name=op.f(f"fk_{table}_tenant_id_tenants"),
        ondelete="RESTRICT",
    )


def _case_key(table: str, ref: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", ref],
        [f"{target}.tenant_id", f"{target}.id"],
        name=op.f(f"fk_{table}_tenant_id_{ref}_{target}"),
        ondelete="CASCADE",
    )


def _user(table: str, column: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("membership_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        _tenant("invitations"),
        _case_key("invitations", "membership_id", "memberships"),
        _user("invitations", "user_id", "CASCADE"),
        _user("invitations", "created_by"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invitations")),
    )
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invitations_tenant_id_membership_id"), ["tenant_id", "membership_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_invitations_tenant_id_secret_hash"),
            ["tenant_id", "secret_hash"],
            unique=True,
        )
    op.create_table(
        "organisation_deactivations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deactivated_by", sa.Uuid(), nullable=True),
        _tenant("organisation_deactivations"),
        _case_key("organisation_deactivations", "organisation_id", "organisations"),
        _user("organisation_deactivations", "deactivated_by"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "organisation_id", name=op.f("pk_organisation_deactivations")
        ),
    )
    op.create_table(
        "membership_deactivations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("membership_id", sa.Uuid(), nullable=False),
        sa.Column("deactivate_on", sa.Date(), nullable=False),
        sa.Column("set_by", sa.Uuid(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        _tenant("membership_deactivations"),
        _case_key("membership_deactivations", "membership_id", "memberships"),
        _user("membership_deactivations", "set_by"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "membership_id", name=op.f("pk_membership_deactivations")
        ),
    )
    with op.batch_alter_table("membership_deactivations") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_membership_deactivations_tenant_id_deactivate_on"),
            ["tenant_id", "deactivate_on"],
        )


def downgrade() -> None:
    op.drop_table("membership_deactivations")
    op.drop_table("organisation_deactivations")
    op.drop_table("invitations")
