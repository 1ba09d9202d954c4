"""housing: records and their steps

Revision ID: housing_0001
Revises: 0001
Create Date: 2026-11-23 05:30:00

The housing plugin's own branch (label ``housing``), rooted on core's schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "housing_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("housing",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "housing_records",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("local_authority_id", sa.Uuid(), nullable=True),
        sa.Column("needs", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_housing_records_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "local_authority_id"],
            ["organisations.tenant_id", "organisations.id"],
            name=op.f("fk_housing_records_tenant_id_local_authority_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["persons.tenant_id", "persons.id"],
            name=op.f("fk_housing_records_tenant_id_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_housing_records_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_housing_records")),
        sa.UniqueConstraint(
            "tenant_id", "person_id", name=op.f("uq_housing_records_tenant_id_person_id")
        ),
    )
    with op.batch_alter_table("housing_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_housing_records_tenant_id_local_authority_id"),
            ["tenant_id", "local_authority_id"],
            unique=False,
        )

    op.create_table(
        "housing_steps",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("acted_by", sa.Uuid(), nullable=True),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["acted_by"], ["users.id"], name=op.f("fk_housing_steps_acted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "organisation_id"],
            ["organisations.tenant_id", "organisations.id"],
            name=op.f("fk_housing_steps_tenant_id_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "record_id"],
            ["housing_records.tenant_id", "housing_records.id"],
            name=op.f("fk_housing_steps_tenant_id_record_id_housing_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_housing_steps_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_housing_steps")),
    )
    with op.batch_alter_table("housing_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_housing_steps_tenant_id_record_id_created_at"),
            ["tenant_id", "record_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("housing_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_housing_steps_tenant_id_record_id_created_at"))
    op.drop_table("housing_steps")
    with op.batch_alter_table("housing_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_housing_records_tenant_id_local_authority_id"))
    op.drop_table("housing_records")
