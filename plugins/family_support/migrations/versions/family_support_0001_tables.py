"""family support tables

Revision ID: family_support_0001
Revises: 0001
Create Date: 2026-11-23 05:40:00.000000

The family support plugin's own branch (label ``family_support``), rooted on core's schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "family_support_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("family_support",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "family_contacts",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("relationship", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_family_contacts_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "consent_id"],
            ["consents.tenant_id", "consents.id"],
            name=op.f("fk_family_contacts_tenant_id_consent_id_consents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "organisation_id"],
            ["organisations.tenant_id", "organisations.id"],
            name=op.f("fk_family_contacts_tenant_id_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["persons.tenant_id", "persons.id"],
            name=op.f("fk_family_contacts_tenant_id_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_family_contacts_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_family_contacts")),
    )
    with op.batch_alter_table("family_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_family_contacts_tenant_id_person_id_created_at"),
            ["tenant_id", "person_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "family_sessions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_family_sessions_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contact_id"],
            ["family_contacts.tenant_id", "family_contacts.id"],
            name=op.f("fk_family_sessions_tenant_id_contact_id_family_contacts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "organisation_id"],
            ["organisations.tenant_id", "organisations.id"],
            name=op.f("fk_family_sessions_tenant_id_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["persons.tenant_id", "persons.id"],
            name=op.f("fk_family_sessions_tenant_id_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_family_sessions_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_family_sessions")),
    )
    with op.batch_alter_table("family_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_family_sessions_tenant_id_person_id_occurred_at"),
            ["tenant_id", "person_id", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "family_days",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("planned_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["planned_by"], ["users.id"], name=op.f("fk_family_days_planned_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "organisation_id"],
            ["organisations.tenant_id", "organisations.id"],
            name=op.f("fk_family_days_tenant_id_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["persons.tenant_id", "persons.id"],
            name=op.f("fk_family_days_tenant_id_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_family_days_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_family_days")),
    )
    with op.batch_alter_table("family_days", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_family_days_tenant_id_person_id_planned_on"),
            ["tenant_id", "person_id", "planned_on"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_family_days_tenant_id_planned_on_id"),
            ["tenant_id", "planned_on", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("family_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_days_tenant_id_planned_on_id"))
        batch_op.drop_index(batch_op.f("ix_family_days_tenant_id_person_id_planned_on"))
    op.drop_table("family_days")
    with op.batch_alter_table("family_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_sessions_tenant_id_person_id_occurred_at"))
    op.drop_table("family_sessions")
    with op.batch_alter_table("family_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_contacts_tenant_id_person_id_created_at"))
    op.drop_table("family_contacts")
