"""Imports every core model so that Base.metadata is complete (for Alembic and tests)."""

from core.accounts.models import ApiToken, Membership, User
from core.administration import models as _administration  # noqa: F401 (its tables)
from core.assessments.models import Assessment
from core.audit.models import AuditEvent
from core.authz import actor_cache as _actor_cache  # noqa: F401 (its table)
from core.authz.approvals import ProtocolApproval
from core.authz.models import (
    BreakGlassGrant,
    PersonAssignment,
    PersonOrganisation,
    ProtocolVersion,
)
from core.consents.models import Consent
from core.db.base import Base
from core.episodes.models import Episode, PhaseChange
from core.interventions.models import Intervention
from core.jobs.models import OutboxEntry
from core.meetings.models import CaseMeeting, MeetingAction, MeetingAttendee, MeetingItem
from core.notifications.models import Notification
from core.onward_referrals.models import OnwardReferral
from core.outcomes.models import OutcomeReview
from core.persons.models import Person
from core.plans.models import PlanAction, PlanReview, RecoveryPlan
from core.referrals.models import Referral
from core.reports.models import ReportRun
from core.returns.models import ReturnDetails
from core.summaries.models import SummarySending
from core.tenancy.models import Organisation, Tenant
from core.treatment.models import TreatmentGoal, TreatmentModality

__all__ = [
    "ApiToken",
    "Assessment",
    "AuditEvent",
    "Base",
    "BreakGlassGrant",
    "CaseMeeting",
    "Consent",
    "Episode",
    "Intervention",
    "MeetingAction",
    "MeetingAttendee",
    "MeetingItem",
    "Membership",
    "Notification",
    "OnwardReferral",
    "Organisation",
    "OutboxEntry",
    "OutcomeReview",
    "Person",
    "PersonAssignment",
    "PersonOrganisation",
    "PhaseChange",
    "PlanAction",
    "PlanReview",
    "ProtocolApproval",
    "ProtocolVersion",
    "RecoveryPlan",
    "Referral",
    "ReportRun",
    "ReturnDetails",
    "SummarySending",
    "Tenant",
    "TreatmentGoal",
    "TreatmentModality",
    "User",
]
