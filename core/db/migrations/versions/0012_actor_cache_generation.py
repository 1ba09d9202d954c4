"""speed: cheap validity check for the cached actor (issue 14)

One counter per tenant, bumped in the transaction of any change to who someone is in
the tenant (membership, organisation, a user's standing, a new break-glass grant). Each
request reads it with the tenant row by primary key and reuses its cached actor only
while it, the protocol version and the tenant row are unchanged (core.authz.actor_cache).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 12:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "actor_generations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("generation", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_actor_generations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_actor_generations")),
    )


def downgrade() -> None:
    op.drop_table("actor_generations")
