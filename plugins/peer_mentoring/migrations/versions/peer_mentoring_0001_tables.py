"""peer mentoring tables

Revision ID: peer_mentoring_0001
Revises: 0001
Create Date: 2026-11-23 05:50:00.000000

The peer mentoring plugin's own branch (label ``peer_mentoring``), rooted on core's schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "peer_mentoring_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("peer_mentoring",)
depends_on: str | Sequence[str] | None = None


def _tenant_fks(table: str, *pairs: tuple[str, str]) -> list[sa.ForeignKeyConstraint]:
    fks = [
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
        "mentors",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("lived_experience", sa.Boolean(), nullable=False),
        sa.Column("vetting_status", sa.String(length=20), nullable=False),
        sa.Column("vetted_on", sa.Date(), nullable=True),
        sa.Column("availability", sa.String(length=500), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_mentors_user_id_users")),
        *_tenant_fks("mentors", ("organisation_id", "organisations")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_mentors")),
        sa.UniqueConstraint("tenant_id", "user_id", name=op.f("uq_mentors_tenant_id_user_id")),
    )
    with op.batch_alter_table("mentors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mentors_tenant_id_name_id"), ["tenant_id", "name", "id"], unique=False
        )

    op.create_table(
        "mentor_matches",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("mentor_id", sa.Uuid(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=500), nullable=True),
        sa.Column("matched_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["matched_by"], ["users.id"], name=op.f("fk_mentor_matches_matched_by_users")
        ),
        *_tenant_fks("mentor_matches", ("person_id", "persons"), ("mentor_id", "mentors")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_mentor_matches")),
    )
    with op.batch_alter_table("mentor_matches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mentor_matches_tenant_id_mentor_id"),
            ["tenant_id", "mentor_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_mentor_matches_tenant_id_person_id_started_on"),
            ["tenant_id", "person_id", "started_on"],
            unique=False,
        )

    op.create_table(
        "mentoring_sessions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("mentor_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("setting", sa.String(length=20), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_mentoring_sessions_recorded_by_users")
        ),
        *_tenant_fks("mentoring_sessions", ("person_id", "persons"), ("mentor_id", "mentors")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_mentoring_sessions")),
    )
    with op.batch_alter_table("mentoring_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mentoring_sessions_tenant_id_person_id_starts_at"),
            ["tenant_id", "person_id", "starts_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_mentoring_sessions_tenant_id_starts_at_id"),
            ["tenant_id", "starts_at", "id"],
            unique=False,
        )

    op.create_table(
        "gate_appointments",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("mentor_id", sa.Uuid(), nullable=True),
        sa.Column("liberation_date", sa.Date(), nullable=False),
        sa.Column("meet_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *_tenant_fks("gate_appointments", ("person_id", "persons"), ("mentor_id", "mentors")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_gate_appointments")),
    )
    with op.batch_alter_table("gate_appointments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gate_appointments_tenant_id_meet_at_id"),
            ["tenant_id", "meet_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_gate_appointments_tenant_id_person_id_status"),
            ["tenant_id", "person_id", "status"],
            unique=False,
        )


def downgrade() -> None:
    for table, indexes in (
        (
            "gate_appointments",
            (
                "ix_gate_appointments_tenant_id_person_id_status",
                "ix_gate_appointments_tenant_id_meet_at_id",
            ),
        ),
        (
            "mentoring_sessions",
            (
                "ix_mentoring_sessions_tenant_id_starts_at_id",
                "ix_mentoring_sessions_tenant_id_person_id_starts_at",
            ),
        ),
        (
            "mentor_matches",
            (
                "ix_mentor_matches_tenant_id_person_id_started_on",
                "ix_mentor_matches_tenant_id_mentor_id",
            ),
        ),
        ("mentors", ("ix_mentors_tenant_id_name_id",)),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(batch_op.f(index))
        op.drop_table(table)
