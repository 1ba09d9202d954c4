"""The sharing consents a supported person gives at their first screening."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.consents.models import Consent, LawfulBasis
from core.demo.base import (
    GeneratorBase,
    OrgRef,
    PersonDraft,
)
from core.tenancy.models import OrganisationKind

CONSENTS: tuple[tuple[str, str, str], ...] = (
    # (category, recipient kind, purpose)
    ("substance_use", OrganisationKind.NHS, "Continuity of substance use treatment."),
    ("health", OrganisationKind.NHS, "Joined-up health care in prison and community."),
    ("substance_use", OrganisationKind.THIRD_SECTOR, "Recovery support by partner organisations."),
    ("housing", OrganisationKind.LOCAL_AUTHORITY, "Housing registration ahead of liberation."),
    ("family", OrganisationKind.THIRD_SECTOR, "Family support."),
    ("employability", OrganisationKind.THIRD_SECTOR, "Employability support."),
    ("justice", OrganisationKind.PROBATION, "Release planning with the probation service."),
    ("risk", OrganisationKind.PRISON, "Safer custody and risk management."),
    ("custody", OrganisationKind.THIRD_SECTOR, "Planning for liberation."),
)


class ConsentsMixin(GeneratorBase):
    def consents(self, person: PersonDraft) -> None:
        supported = [e for e in person.episodes if e.supported]
        if not supported:
            return
        rng = self.rng
        first = supported[0]
        base = first.screened or first.received
        assert base is not None
        kinds = {o.kind for o in self.orgs}
        choices = [c for c in CONSENTS if c[1] in kinds]
        worker = first.key_worker.id if first.key_worker else None
        for category, kind, purpose in rng.sample(choices, min(len(choices), rng.randint(2, 4))):
            given = self.clamp(base + timedelta(minutes=rng.randint(5, 90)), base)
            named = [o for o in self.orgs if o.kind == kind]
            recipient: OrgRef | None = None
            if named and rng.random() < 0.3:
                recipient = rng.choice(named)
            basis = LawfulBasis.CONSENT
            if category in ("risk", "justice"):
                basis = (
                    LawfulBasis.PUBLIC_TASK if rng.random() < 0.9 else LawfulBasis.VITAL_INTERESTS
                )
            withdrawn: datetime | None = None
            room = (self.now - given).days
            if room > 8 and rng.random() < 0.06:
                withdrawn = self.clamp(given + timedelta(days=rng.randint(7, room - 1)), given)
            self.add(
                Consent,
                given,
                person_id=person.id,
                category=category,
                recipient_organisation_id=recipient.id if recipient else None,
                recipient_kind=None if recipient else str(kind),
                purpose=purpose,
                lawful_basis=str(basis),
                given_at=given,
                expires_at=given + timedelta(days=365) if rng.random() < 0.2 else None,
                withdrawn_at=withdrawn,
                recorded_by=worker,
                withdrawn_by=worker if withdrawn else None,
            )
