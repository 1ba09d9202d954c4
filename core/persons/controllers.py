"""/api/v1/t/{tenant}/persons"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.fields import category_of
from core.hookspecs import hookimpl
from core.pagination import DEFAULT_LIMIT, Page
from core.persons.checklist import ReleaseChecklist, release_checklist
from core.persons.models import Location, Person
from core.persons.schemas import PersonCreate, PersonOut, PersonSummary, PersonUpdate
from core.persons.services import PersonService


def person_out(person: Person, readable: set[str], categories: list[str]) -> PersonOut:
    """The person as this user may see them: each field only if its category is readable
    (the one map, core.authz.fields, that every list projects through as well)."""
    shown = {
        name: getattr(person, name) if category_of(name) in readable else None
        for name in PersonOut.__struct_fields__
        if name not in ("readable", "restricted")
    }
    return PersonOut(
        **shown,
        readable=sorted(readable),
        restricted=sorted(set(categories) - readable),
    )


async def provide_person_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> PersonService:
    return PersonService(db_session, access)


async def reread(service: PersonService, person: Person) -> PersonOut:
    readable = await service.access.readable_categories(person.id)
    return person_out(person, readable, service.access.categories)


class PersonController(Controller):
    path = "/api/v1/t/{tenant:str}/persons"
    tags = ["persons"]
    dependencies = {"service": Provide(provide_person_service)}

    @get("/", summary="The caseload: search by name or prison number, keyset-paginated")
    async def list_persons(
        self,
        service: NamedDependency[PersonService],
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,
        location: FromQuery[Location | None] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[PersonSummary]:
        return await service.list(q=q, location=location, limit=limit, cursor=cursor)

    @post("/", summary="Add a person")
    async def create_person(
        self, service: NamedDependency[PersonService], data: JSONBody[PersonCreate]
    ) -> PersonOut:
        return await reread(service, await service.create(data))

    @get(
        "/{person_id:uuid}",
        summary="One person; `restricted` names the categories withheld from you",
    )
    async def get_person(
        self, service: NamedDependency[PersonService], person_id: FromPath[uuid.UUID]
    ) -> PersonOut:
        person, readable = await service.get(person_id)
        return person_out(person, readable, service.access.categories)

    @get(
        "/{person_id:uuid}/release-checklist",
        summary="What is in place for liberation, from core and the partnership's plugins",
    )
    async def get_release_checklist(
        self,
        service: NamedDependency[PersonService],
        person_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
    ) -> ReleaseChecklist:
        return await release_checklist(
            service.session, service.access, request.app.state.plugin_manager, person_id
        )

    @patch("/{person_id:uuid}", summary="Change a person's details, e.g. the liberation date")
    async def update_person(
        self,
        service: NamedDependency[PersonService],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[PersonUpdate],
    ) -> PersonOut:
        return await reread(service, await service.update(person_id, data))


@hookimpl
def register_routes() -> list[Any]:
    from core.persons.history_controllers import AccessHistoryController

    return [PersonController, AccessHistoryController]
