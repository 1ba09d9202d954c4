"""structured treatment: modality episodes and the treatment-goal history (issue 10)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 13:10:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _case_keys(table: str) -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            ["tenant_id", ref],
            [f"{target}.tenant_id", f"{target}.id"],
            name=op.f(f"fk_{table}_tenant_id_{ref}_{target}"),
            ondelete="RESTRICT",
        )
        for ref, target in (
            ("person_id", "persons"),
            ("episode_id", "episodes"),
            ("organisation_id", "organisations"),
        )
    ]


def _base(table: str) -> list[Any]:
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("episode_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{table}_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{table}")),
        *_case_keys(table),
    ]


def upgrade() -> None:
    op.create_table(
        "treatment_modalities",
        *_base("treatment_modalities"),
        sa.Column("modality", sa.String(length=40), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("started_by", sa.Uuid(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("exit_reason", sa.String(length=40), nullable=True),
        sa.Column("ended_by", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["started_by"], ["users.id"], name=op.f("fk_treatment_modalities_started_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["ended_by"], ["users.id"], name=op.f("fk_treatment_modalities_ended_by_users")
        ),
    )
    with op.batch_alter_table("treatment_modalities") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treatment_modalities_tenant_id_person_id_started_on"),
            ["tenant_id", "person_id", "started_on"],
        )
        batch_op.create_index(
            batch_op.f("ix_treatment_modalities_tenant_id_episode_id"),
            ["tenant_id", "episode_id"],
        )
    op.create_table(
        "treatment_goals",
        *_base("treatment_goals"),
        sa.Column("goal", sa.String(length=32), nullable=False),
        sa.Column("set_on", sa.Date(), nullable=False),
        sa.Column("set_by", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["set_by"], ["users.id"], name=op.f("fk_treatment_goals_set_by_users")
        ),
    )
    with op.batch_alter_table("treatment_goals") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treatment_goals_tenant_id_person_id_set_on"),
            ["tenant_id", "person_id", "set_on"],
        )


def downgrade() -> None:
    op.drop_table("treatment_goals")
    op.drop_table("treatment_modalities")
