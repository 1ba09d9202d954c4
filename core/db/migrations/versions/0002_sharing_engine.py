"""sharing engine: protocol versions, who works with whom, break-glass

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 05:17:23.447203
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('protocol_versions',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('rules', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_protocol_versions_created_by_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_protocol_versions_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'version', name=op.f('pk_protocol_versions'))
    )
    op.create_table('break_glass_grants',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by', sa.Uuid(), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], name=op.f('fk_break_glass_grants_reviewed_by_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['persons.tenant_id', 'persons.id'], name=op.f('fk_break_glass_grants_tenant_id_person_id_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_break_glass_grants_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_break_glass_grants_user_id_users')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_break_glass_grants'))
    )
    with op.batch_alter_table('break_glass_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_break_glass_grants_tenant_id_reviewed_at'), ['tenant_id', 'reviewed_at'], unique=False)
        batch_op.create_index('ix_break_glass_grants_active', ['tenant_id', 'user_id', 'person_id', 'category'], unique=False)

    op.create_table('person_assignments',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['persons.tenant_id', 'persons.id'], name=op.f('fk_person_assignments_tenant_id_person_id_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_person_assignments_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_person_assignments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'user_id', 'person_id', name=op.f('pk_person_assignments'))
    )
    with op.batch_alter_table('person_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_assignments_tenant_id_person_id'), ['tenant_id', 'person_id'], unique=False)

    op.create_table('person_organisations',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'organisation_id'], ['organisations.tenant_id', 'organisations.id'], name=op.f('fk_person_organisations_tenant_id_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['persons.tenant_id', 'persons.id'], name=op.f('fk_person_organisations_tenant_id_person_id_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_person_organisations_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'organisation_id', 'person_id', name=op.f('pk_person_organisations'))
    )
    with op.batch_alter_table('person_organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_organisations_tenant_id_person_id'), ['tenant_id', 'person_id'], unique=False)

    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policy_version', sa.Integer(), nullable=False, server_default='0'))

    # Who already works with whom, from the records that exist: the scopes' indexes.
    for reason, sql in BACKFILL_ORGANISATIONS:
        op.execute(
            "INSERT INTO person_organisations (tenant_id, organisation_id, person_id, reason, since) "
            f"SELECT tenant_id, org, person_id, '{reason}', MIN(at) FROM ({sql}) AS src "
            "WHERE org IS NOT NULL GROUP BY tenant_id, org, person_id "
            "ON CONFLICT DO NOTHING"
        )
    op.execute(
        "INSERT INTO person_assignments (tenant_id, user_id, person_id, reason, since) "
        "SELECT tenant_id, key_worker_id, person_id, 'key_worker', MIN(opened_at) FROM episodes "
        "WHERE key_worker_id IS NOT NULL AND closed_at IS NULL "
        "GROUP BY tenant_id, key_worker_id, person_id"
    )


BACKFILL_ORGANISATIONS = [
    ("episode_lead", "SELECT tenant_id, lead_organisation_id AS org, person_id, opened_at AS at FROM episodes"),
    ("referral", "SELECT tenant_id, referring_organisation_id AS org, person_id, received_at AS at FROM referrals"),
    ("intervention", "SELECT tenant_id, organisation_id AS org, person_id, occurred_at AS at FROM interventions"),
    ("assessment", "SELECT tenant_id, organisation_id AS org, person_id, completed_at AS at FROM assessments"),
    ("outcome_review", "SELECT tenant_id, organisation_id AS org, person_id, created_at AS at FROM outcome_reviews"),
]



def downgrade() -> None:
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('policy_version')

    with op.batch_alter_table('person_organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_organisations_tenant_id_person_id'))

    op.drop_table('person_organisations')
    with op.batch_alter_table('person_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_assignments_tenant_id_person_id'))

    op.drop_table('person_assignments')
    with op.batch_alter_table('break_glass_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_break_glass_grants_active')
        batch_op.drop_index(batch_op.f('ix_break_glass_grants_tenant_id_reviewed_at'))

    op.drop_table('break_glass_grants')
    op.drop_table('protocol_versions')
