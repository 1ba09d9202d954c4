"""person return details: equality items, legal status, release dates, problem substances (issue 10)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "person_return_details"
CODES = {
    "sex": 20,
    "ethnicity": 40,
    "disability": 20,
    "pregnant": 20,
    "parental_responsibility": 20,
    "local_authority": 120,
    "legal_status": 20,
}
DATES = ("conditional_release_date", "hdc_eligibility_date", "parole_eligibility_date")
SUBSTANCES = {"problem_substance_1": 40, "problem_substance_2": 40, "problem_substance_3": 40}


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        *[sa.Column(name, sa.String(length=n), nullable=True) for name, n in CODES.items()],
        *[sa.Column(name, sa.Date(), nullable=True) for name in DATES],
        *[sa.Column(name, sa.String(length=n), nullable=True) for name, n in SUBSTANCES.items()],
        sa.Column("injecting", sa.String(length=20), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{TABLE}_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["persons.tenant_id", "persons.id"],
            name=op.f(f"fk_{TABLE}_tenant_id_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f(f"fk_{TABLE}_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint("tenant_id", "person_id", name=op.f(f"uq_{TABLE}_tenant_id_person_id")),
    )


def downgrade() -> None:
    op.drop_table(TABLE)
