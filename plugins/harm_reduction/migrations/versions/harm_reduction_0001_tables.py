"""harm reduction tables

Revision ID: harm_reduction_0001
Revises: 0001
Create Date: 2026-11-23 06:00:00.000000

The harm reduction plugin's own branch (label ``harm_reduction``), rooted on core's schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "harm_reduction_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("harm_reduction",)
depends_on: str | Sequence[str] | None = None


def _fks(table: str, *pairs: tuple[str, str]) -> list[sa.ForeignKeyConstraint]:
    fks = [
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f(f"fk_{table}_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{table}_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
    ]
    for column, target in pairs:
        fks.append(
            sa.ForeignKeyConstraint(
                ["tenant_id", column],
                [f"{target}.tenant_id", f"{target}.id"],
                name=op.f(f"fk_{table}_tenant_id_{column}_{target}"),
                ondelete="RESTRICT",
            )
        )
    return fks


def upgrade() -> None:
    op.create_table(
        "drug_tests",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("tested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("substances", sa.JSON(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *_fks(
            "drug_tests",
            ("person_id", "persons"),
            ("organisation_id", "organisations"),
            ("referral_id", "referrals"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_drug_tests")),
    )
    with op.batch_alter_table("drug_tests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_drug_tests_tenant_id_person_id_tested_at"),
            ["tenant_id", "person_id", "tested_at"],
            unique=False,
        )

    op.create_table(
        "naloxone_trainings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trainee", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *_fks("naloxone_trainings", ("person_id", "persons"), ("organisation_id", "organisations")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_naloxone_trainings")),
    )
    with op.batch_alter_table("naloxone_trainings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_naloxone_trainings_tenant_id_person_id_trained_at"),
            ["tenant_id", "person_id", "trained_at"],
            unique=False,
        )

    op.create_table(
        "naloxone_supplies",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("supplied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kit_type", sa.String(length=20), nullable=False),
        sa.Column("supply", sa.String(length=10), nullable=False),
        sa.Column("repeat_reason", sa.String(length=20), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *_fks("naloxone_supplies", ("person_id", "persons"), ("organisation_id", "organisations")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_naloxone_supplies")),
    )
    with op.batch_alter_table("naloxone_supplies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_naloxone_supplies_tenant_id_person_id_supplied_at"),
            ["tenant_id", "person_id", "supplied_at"],
            unique=False,
        )


def downgrade() -> None:
    for table, index in (
        ("naloxone_supplies", "ix_naloxone_supplies_tenant_id_person_id_supplied_at"),
        ("naloxone_trainings", "ix_naloxone_trainings_tenant_id_person_id_trained_at"),
        ("drug_tests", "ix_drug_tests_tenant_id_person_id_tested_at"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(index))
        op.drop_table(table)
