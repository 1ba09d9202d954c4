"""Family contacts, recorded only while the person's consent to share with the family is
in force.
"""

from __future__ import annotations

import uuid

from core.audit.services import record
from core.consents.services import consent_for_recipient
from core.db.base import utcnow
from core.errors import RuleViolation, not_found
from core.pagination import Page, person_page
from core.tenancy.models import Organisation
from plugins.family_support.common import CATEGORY, FamilySupportBase, contact_out
from plugins.family_support.models import FamilyContact
from plugins.family_support.schemas import ContactCreate, ContactOut


class ContactsMixin(FamilySupportBase):
    async def create_contact(self, person_id: uuid.UUID, data: ContactCreate) -> FamilyContact:
        # Consent is this service's own rule, checked before the protocol's so that its
        # absence is named as such (422), not as a refusal of access (403).
        person = await self.access.visible_person(person_id)
        organisation = await self.session.get(
            Organisation, (self.actor.tenant_id, self.actor.organisation_id)
        )
        if organisation is None:  # a membership always names one of the tenant's partners
            raise not_found("Organisation")
        consent = await consent_for_recipient(
            self.session, self.actor.tenant_id, person.id, CATEGORY, organisation, utcnow()
        )
        if consent is None:
            raise RuleViolation(
                f"No active consent from the person to share family information with "
                f"{organisation.name}: record their consent (category '{CATEGORY}') first",
                field="person_id",
            )
        await self.access.require(CATEGORY, "write", person.id)
        contact = FamilyContact(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            name=" ".join(data.name.split()),
            relationship=data.relationship,
            phone=data.phone.strip() if data.phone else None,
            consent_id=consent.id,
            organisation_id=self.actor.organisation_id,
            recorded_by=self.actor.user_id,
        )
        self.session.add(contact)
        await self.session.flush()
        # The name and number stay out of the audit trail: it is read more widely.
        record(
            self.session,
            self.actor,
            "create",
            "family_contact",
            contact.id,
            person_id=person.id,
            detail={"relationship": contact.relationship, "consent_id": str(consent.id)},
        )
        await self.session.commit()
        return contact

    async def list_contacts(
        self, person_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> Page[ContactOut]:
        person = await self._person(person_id, "read")
        rows, next_cursor = await person_page(
            self.session,
            self.actor,
            FamilyContact.created_at,
            person.id,
            cursor,
            limit,
            audit_as="family_contact",
            newest_first=False,
        )
        return Page(items=[contact_out(r) for r in rows], next_cursor=next_cursor)

    async def get_contact(self, contact_id: uuid.UUID) -> FamilyContact:
        contact = await self._contact(contact_id)
        await self._person(contact.person_id, "read")
        record(
            self.session,
            self.actor,
            "read",
            "family_contact",
            contact.id,
            person_id=contact.person_id,
        )
        await self.session.commit()
        return contact

    async def _contact(self, contact_id: uuid.UUID) -> FamilyContact:
        contact = await self.session.get(FamilyContact, (self.actor.tenant_id, contact_id))
        if contact is None:
            raise not_found("Family contact")
        return contact
