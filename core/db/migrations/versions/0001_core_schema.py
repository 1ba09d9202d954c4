"""core schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 23:11:20.999553
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('audit_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('organisation_id', sa.Uuid(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('record_type', sa.String(length=60), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=True),
    sa.Column('person_id', sa.Uuid(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('rule', sa.String(length=200), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_tenant_id_at'), ['tenant_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_tenant_id_person_id_at'), ['tenant_id', 'person_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_tenant_id_user_id_at'), ['tenant_id', 'user_id', 'at'], unique=False)

    op.create_table('tenants',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('nation', sa.String(length=32), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenants')),
    sa.UniqueConstraint('slug', name=op.f('uq_tenants_slug'))
    )
    op.create_table('users',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('username', sa.String(length=120), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_platform_admin', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('organisations',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('is_lead', sa.Boolean(), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_organisations_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('tenant_id', 'slug', name=op.f('uq_organisations_tenant_id_slug'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_tenant_id_kind'), ['tenant_id', 'kind'], unique=False)

    op.create_table('persons',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('sort_name', sa.String(length=201), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('prison_number', sa.String(length=20), nullable=True),
    sa.Column('nhs_number', sa.String(length=10), nullable=True),
    sa.Column('location', sa.String(length=20), nullable=False),
    sa.Column('establishment', sa.String(length=120), nullable=True),
    sa.Column('reception_date', sa.Date(), nullable=True),
    sa.Column('liberation_date', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_persons_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_persons'))
    )
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_persons_tenant_id_liberation_date'), ['tenant_id', 'liberation_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_persons_tenant_id_nhs_number'), ['tenant_id', 'nhs_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_persons_tenant_id_prison_number'), ['tenant_id', 'prison_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_persons_tenant_id_sort_name_id'), ['tenant_id', 'sort_name', 'id'], unique=False)

    op.create_table('case_meetings',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('escalated_from_meeting_id', sa.Uuid(), nullable=True),
    sa.Column('escalated_person_id', sa.Uuid(), nullable=True),
    sa.Column('chair_id', sa.Uuid(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['chair_id'], ['users.id'], name=op.f('fk_case_meetings_chair_id_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'escalated_from_meeting_id'], ['case_meetings.tenant_id', 'case_meetings.id'], name=op.f('fk_case_meetings_tenant_id_escalated_from_meeting_id_case_meetings'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'escalated_person_id'], ['persons.tenant_id', 'persons.id'], name=op.f('fk_case_meetings_tenant_id_escalated_person_id_persons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_case_meetings_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_case_meetings'))
    )
    with op.batch_alter_table('case_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_meetings_tenant_id_held_on'), ['tenant_id', 'held_on'], unique=False)

    op.create_table('consents',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('recipient_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('recipient_kind', sa.String(length=32), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('lawful_basis', sa.String(length=32), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.Uuid(), nullable=True),
    sa.Column('withdrawn_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_consents_recorded_by_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['persons.tenant_id', 'persons.id'], name=op.f('fk_consents_tenant_id_person_id_persons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'recipient_organisation_id'], ['organisations.tenant_id', 'organisations.id'], name=op.f('fk_consents_tenant_id_recipient_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_consents_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['withdrawn_by'], ['users.id'], name=op.f('fk_consents_withdrawn_by_users')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_tenant_id_person_id_category'), ['tenant_id', 'person_id', 'category'], unique=False)

    op.create_table('episodes',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('previous_episode_id', sa.Uuid(), nullable=True),
    sa.Column('phase', sa.String(length=32), nullable=False),
    sa.Column('key_worker_id', sa.Uuid(), nullable=True),
    sa.Column('lead_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_reason', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['key_worker_id'], ['users.id'], name=op.f('fk_episodes_key_worker_id_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'lead_organisation_id'], ['organisations.tenant_id', 'organisations.id'], name=op.f('fk_episodes_tenant_id_lead_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['persons.tenant_id', 'persons.id'], name=op.f('fk_episodes_tenant_id_person_id_persons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'previous_episode_id'], ['episodes.tenant_id', 'episodes.id'], name=op.f('fk_episodes_tenant_id_previous_episode_id_episodes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_episodes_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_episodes'))
    )
    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_episodes_tenant_id_key_worker_id'), ['tenant_id', 'key_worker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_episodes_tenant_id_person_id_opened_at'), ['tenant_id', 'person_id', 'opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_episodes_tenant_id_phase'), ['tenant_id', 'phase'], unique=False)

    op.create_table('memberships',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'organisation_id'], ['organisations.tenant_id', 'organisations.id'], name=op.f('fk_memberships_tenant_id_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_memberships_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_memberships')),
    sa.UniqueConstraint('tenant_id', 'user_id', name=op.f('uq_memberships_tenant_id_user_id'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_user_id'), ['user_id'], unique=False)

    op.create_table('episode_phase_changes',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('episode_id', sa.Uuid(), nullable=False),
    sa.Column('from_phase', sa.String(length=32), nullable=True),
    sa.Column('to_phase', sa.String(length=32), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by'], ['users.id'], name=op.f('fk_episode_phase_changes_changed_by_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'episode_id'], ['episodes.tenant_id', 'episodes.id'], name=op.f('fk_episode_phase_changes_tenant_id_episode_id_episodes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_episode_phase_changes_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_episode_phase_changes'))
    )
    with op.batch_alter_table('episode_phase_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_episode_phase_changes_tenant_id_episode_id_changed_at'), ['tenant_id', 'episode_id', 'changed_at'], unique=False)

    op.create_table('interventions',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('episode_id', sa.Uuid(), nullable=True),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('setting', sa.String(length=20), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_interventions_recorded_by_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'episode_id'], ['episodes.tenant_id', 'episodes.id'], name=op.f('fk_interventions_tenant_id_episode_id_episodes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'organisation_id'], ['organisations.tenant_id', 'organisations.id'], name=op.f('fk_interventions_tenant_id_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['persons.tenant_id', 'persons.id'], name=op.f('fk_interventions_tenant_id_person_id_persons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_interventions_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_interventions'))
    )
    with op.batch_alter_table('interventions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interventions_tenant_id_organisation_id_occurred_at'), ['tenant_id', 'organisation_id', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_interventions_tenant_id_person_id_occurred_at'), ['tenant_id', 'person_id', 'occurred_at'], unique=False)

    op.create_table('meeting_attendees',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'meeting_id'], ['case_meetings.tenant_id', 'case_meetings.id'], name=op.f('fk_meeting_attendees_tenant_id_meeting_id_case_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'organisation_id'], ['organisations.tenant_id', 'organisations.id'], name=op.f('fk_meeting_attendees_tenant_id_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_meeting_attendees_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_attendees_user_id_users')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_meeting_attendees'))
    )
    with op.batch_alter_table('meeting_attendees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_attendees_tenant_id_meeting_id'), ['tenant_id', 'meeting_id'], unique=False)

    op.create_table('meeting_items',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('discussion', sa.Text(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'meeting_id'], ['case_meetings.tenant_id', 'case_meetings.id'], name=op.f('fk_meeting_items_tenant_id_meeting_id_case_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['persons.tenant_id', 'persons.id'], name=op.f('fk_meeting_items_tenant_id_person_id_persons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_meeting_items_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_meeting_items'))
    )
    with op.batch_alter_table('meeting_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_items_tenant_id_meeting_id'), ['tenant_id', 'meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_items_tenant_id_person_id'), ['tenant_id', 'person_id'], unique=False)

    op.create_table('outcome_reviews',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('episode_id', sa.Uuid(), nullable=True),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('reviewed_on', sa.Date(), nullable=False),
    sa.Column('setting', sa.String(length=20), nullable=False),
    sa.Column('reviewed_by', sa.Uuid(), nullable=True),
    sa.Column('criminal_activity', sa.Integer(), nullable=False),
    sa.Column('engagement', sa.Integer(), nullable=False),
    sa.Column('living_situation', sa.Integer(), nullable=False),
    sa.Column('physical_health', sa.Integer(), nullable=False),
    sa.Column('psychological_wellbeing', sa.Integer(), nullable=False),
    sa.Column('social_functioning', sa.Integer(), nullable=False),
    sa.Column('substance_misuse', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], name=op.f('fk_outcome_reviews_reviewed_by_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'episode_id'], ['episodes.tenant_id', 'episodes.id'], name=op.f('fk_outcome_reviews_tenant_id_episode_id_episodes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'organisation_id'], ['organisations.tenant_id', 'organisations.id'], name=op.f('fk_outcome_reviews_tenant_id_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['persons.tenant_id', 'persons.id'], name=op.f('fk_outcome_reviews_tenant_id_person_id_persons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_outcome_reviews_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_outcome_reviews'))
    )
    with op.batch_alter_table('outcome_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_reviews_tenant_id_person_id_reviewed_on'), ['tenant_id', 'person_id', 'reviewed_on'], unique=False)

    op.create_table('recovery_plans',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('episode_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('goals', sa.JSON(), nullable=False),
    sa.Column('contingency', sa.JSON(), nullable=False),
    sa.Column('handover_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('handed_over_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_recovery_plans_created_by_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'episode_id'], ['episodes.tenant_id', 'episodes.id'], name=op.f('fk_recovery_plans_tenant_id_episode_id_episodes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'handover_organisation_id'], ['organisations.tenant_id', 'organisations.id'], name=op.f('fk_recovery_plans_tenant_id_handover_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['persons.tenant_id', 'persons.id'], name=op.f('fk_recovery_plans_tenant_id_person_id_persons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_recovery_plans_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_recovery_plans'))
    )
    with op.batch_alter_table('recovery_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_plans_tenant_id_person_id'), ['tenant_id', 'person_id'], unique=False)

    op.create_table('referrals',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('episode_id', sa.Uuid(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('referring_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('assessment_due_on', sa.Date(), nullable=False),
    sa.Column('offered_appointment_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision', sa.String(length=32), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Uuid(), nullable=True),
    sa.Column('decision_notes', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_referrals_created_by_users')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_referrals_decided_by_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'episode_id'], ['episodes.tenant_id', 'episodes.id'], name=op.f('fk_referrals_tenant_id_episode_id_episodes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['persons.tenant_id', 'persons.id'], name=op.f('fk_referrals_tenant_id_person_id_persons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'referring_organisation_id'], ['organisations.tenant_id', 'organisations.id'], name=op.f('fk_referrals_tenant_id_referring_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_referrals_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_tenant_id_assessment_due_on'), ['tenant_id', 'assessment_due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_tenant_id_person_id_received_at'), ['tenant_id', 'person_id', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_tenant_id_received_at'), ['tenant_id', 'received_at'], unique=False)

    op.create_table('assessments',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('episode_id', sa.Uuid(), nullable=True),
    sa.Column('referral_id', sa.Uuid(), nullable=True),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_by', sa.Uuid(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('risk_self_harm', sa.String(length=10), nullable=True),
    sa.Column('risk_harm_to_others', sa.String(length=10), nullable=True),
    sa.Column('risk_overdose', sa.String(length=10), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['completed_by'], ['users.id'], name=op.f('fk_assessments_completed_by_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'episode_id'], ['episodes.tenant_id', 'episodes.id'], name=op.f('fk_assessments_tenant_id_episode_id_episodes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'organisation_id'], ['organisations.tenant_id', 'organisations.id'], name=op.f('fk_assessments_tenant_id_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['persons.tenant_id', 'persons.id'], name=op.f('fk_assessments_tenant_id_person_id_persons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'referral_id'], ['referrals.tenant_id', 'referrals.id'], name=op.f('fk_assessments_tenant_id_referral_id_referrals'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_assessments_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_assessments'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessments_tenant_id_person_id_completed_at'), ['tenant_id', 'person_id', 'completed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessments_tenant_id_referral_id'), ['tenant_id', 'referral_id'], unique=False)

    op.create_table('meeting_actions',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.Uuid(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('owner_user_id', sa.Uuid(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_meeting_actions_owner_user_id_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'item_id'], ['meeting_items.tenant_id', 'meeting_items.id'], name=op.f('fk_meeting_actions_tenant_id_item_id_meeting_items'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'meeting_id'], ['case_meetings.tenant_id', 'case_meetings.id'], name=op.f('fk_meeting_actions_tenant_id_meeting_id_case_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'owner_organisation_id'], ['organisations.tenant_id', 'organisations.id'], name=op.f('fk_meeting_actions_tenant_id_owner_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_meeting_actions_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_meeting_actions'))
    )
    with op.batch_alter_table('meeting_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_actions_tenant_id_meeting_id'), ['tenant_id', 'meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_actions_tenant_id_owner_organisation_id_due_on'), ['tenant_id', 'owner_organisation_id', 'due_on'], unique=False)

    op.create_table('plan_actions',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'owner_organisation_id'], ['organisations.tenant_id', 'organisations.id'], name=op.f('fk_plan_actions_tenant_id_owner_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'plan_id'], ['recovery_plans.tenant_id', 'recovery_plans.id'], name=op.f('fk_plan_actions_tenant_id_plan_id_recovery_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_plan_actions_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_plan_actions'))
    )
    with op.batch_alter_table('plan_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_actions_tenant_id_owner_organisation_id_due_on'), ['tenant_id', 'owner_organisation_id', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_actions_tenant_id_plan_id'), ['tenant_id', 'plan_id'], unique=False)

    op.create_table('plan_reviews',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by', sa.Uuid(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], name=op.f('fk_plan_reviews_reviewed_by_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'plan_id'], ['recovery_plans.tenant_id', 'recovery_plans.id'], name=op.f('fk_plan_reviews_tenant_id_plan_id_recovery_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_plan_reviews_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_plan_reviews'))
    )
    with op.batch_alter_table('plan_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_reviews_tenant_id_plan_id_reviewed_at'), ['tenant_id', 'plan_id', 'reviewed_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('plan_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_reviews_tenant_id_plan_id_reviewed_at'))

    op.drop_table('plan_reviews')
    with op.batch_alter_table('plan_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_actions_tenant_id_plan_id'))
        batch_op.drop_index(batch_op.f('ix_plan_actions_tenant_id_owner_organisation_id_due_on'))

    op.drop_table('plan_actions')
    with op.batch_alter_table('meeting_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_actions_tenant_id_owner_organisation_id_due_on'))
        batch_op.drop_index(batch_op.f('ix_meeting_actions_tenant_id_meeting_id'))

    op.drop_table('meeting_actions')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_tenant_id_referral_id'))
        batch_op.drop_index(batch_op.f('ix_assessments_tenant_id_person_id_completed_at'))

    op.drop_table('assessments')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_tenant_id_received_at'))
        batch_op.drop_index(batch_op.f('ix_referrals_tenant_id_person_id_received_at'))
        batch_op.drop_index(batch_op.f('ix_referrals_tenant_id_assessment_due_on'))

    op.drop_table('referrals')
    with op.batch_alter_table('recovery_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_plans_tenant_id_person_id'))

    op.drop_table('recovery_plans')
    with op.batch_alter_table('outcome_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_reviews_tenant_id_person_id_reviewed_on'))

    op.drop_table('outcome_reviews')
    with op.batch_alter_table('meeting_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_items_tenant_id_person_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_items_tenant_id_meeting_id'))

    op.drop_table('meeting_items')
    with op.batch_alter_table('meeting_attendees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_attendees_tenant_id_meeting_id'))

    op.drop_table('meeting_attendees')
    with op.batch_alter_table('interventions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interventions_tenant_id_person_id_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_interventions_tenant_id_organisation_id_occurred_at'))

    op.drop_table('interventions')
    with op.batch_alter_table('episode_phase_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_episode_phase_changes_tenant_id_episode_id_changed_at'))

    op.drop_table('episode_phase_changes')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_user_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_episodes_tenant_id_phase'))
        batch_op.drop_index(batch_op.f('ix_episodes_tenant_id_person_id_opened_at'))
        batch_op.drop_index(batch_op.f('ix_episodes_tenant_id_key_worker_id'))

    op.drop_table('episodes')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_tenant_id_person_id_category'))

    op.drop_table('consents')
    with op.batch_alter_table('case_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_meetings_tenant_id_held_on'))

    op.drop_table('case_meetings')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_persons_tenant_id_sort_name_id'))
        batch_op.drop_index(batch_op.f('ix_persons_tenant_id_prison_number'))
        batch_op.drop_index(batch_op.f('ix_persons_tenant_id_nhs_number'))
        batch_op.drop_index(batch_op.f('ix_persons_tenant_id_liberation_date'))

    op.drop_table('persons')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_tenant_id_kind'))

    op.drop_table('organisations')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('tenants')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_tenant_id_user_id_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_tenant_id_person_id_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_tenant_id_at'))

    op.drop_table('audit_events')

