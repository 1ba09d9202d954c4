"""The housing board: everyone with a liberation date ahead, by the days left, flagged
red, amber or green; and the local authorities to choose from.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import aliased

from core import clock
from core.audit.services import record
from core.errors import RuleViolation
from core.pagination import Page, fetch_page
from core.persons.models import Person
from core.tenancy.models import Organisation
from plugins.housing.models import HousingRecord
from plugins.housing.records import HousingBase, local_authorities
from plugins.housing.rules import CATEGORY, MAX_BOARD_WEEKS, next_action, rag, rule_of
from plugins.housing.schemas import AuthorityOut, BoardItem


class BoardMixin(HousingBase):
    async def authorities(self) -> list[AuthorityOut]:
        return [
            AuthorityOut(id=o.id, slug=o.slug, name=o.name, registration_rule=rule_of(o).value)
            for o in await local_authorities(self.session, self.actor.tenant_id)
        ]

    async def board(
        self,
        *,
        weeks: int,
        local_authority_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
        today: date | None = None,
    ) -> Page[BoardItem]:
        if not 1 <= weeks <= MAX_BOARD_WEEKS:
            raise RuleViolation(f"weeks must be between 1 and {MAX_BOARD_WEEKS}", field="weeks")
        today = today or clock.today()
        authority = aliased(Organisation)
        stmt = (
            select(HousingRecord, Person, authority)
            .join(
                Person,
                (Person.tenant_id == HousingRecord.tenant_id)
                & (Person.id == HousingRecord.person_id),
            )
            .outerjoin(
                authority,
                (authority.tenant_id == HousingRecord.tenant_id)
                & (authority.id == HousingRecord.local_authority_id),
            )
            .where(
                HousingRecord.tenant_id == self.actor.tenant_id,
                Person.liberation_date >= today,
                Person.liberation_date <= today + timedelta(weeks=weeks),
                # Only people whose housing the protocol lets this user read; in SQL.
                self.access.person_filter(CATEGORY, person_id=HousingRecord.person_id),
            )
        )
        if local_authority_id is not None:
            stmt = stmt.where(HousingRecord.local_authority_id == local_authority_id)
        rows, next_cursor = await fetch_page(
            self.session, stmt, [Person.liberation_date, Person.id], cursor, limit, entity=1
        )
        items = [self._board_item(h, p, a, today) for h, p, a in rows]
        record(
            self.session,
            self.actor,
            "list",
            "housing_record",
            detail={
                "weeks": weeks,
                "local_authority_id": str(local_authority_id) if local_authority_id else None,
                "returned": len(items),
            },
        )
        await self.session.commit()
        return Page(items=items, next_cursor=next_cursor)

    @staticmethod
    def _board_item(
        housing: HousingRecord, person: Person, authority: Organisation | None, today: date
    ) -> BoardItem:
        assert person.liberation_date is not None  # the board's WHERE says so
        rule = rule_of(authority)
        left = (person.liberation_date - today).days
        return BoardItem(
            person_id=person.id,
            given_name=person.given_name,
            family_name=person.family_name,
            prison_number=person.prison_number,
            liberation_date=person.liberation_date,
            days_left=left,
            local_authority_id=housing.local_authority_id,
            local_authority_name=authority.name if authority else None,
            registration_rule=rule.value if authority else None,
            needs=housing.needs,
            status=housing.status,
            status_on=housing.status_on,
            rag=rag(housing.status, rule, left, bool(housing.needs)),
            next_action=next_action(housing.status, rule, person.liberation_date),
        )
