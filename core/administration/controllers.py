"""/api/v1/t/{tenant}/admin: the partnership lead's organisations, members and access review."""

from __future__ import annotations

import uuid

from litestar import Controller, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.administration.members import MemberService
from core.administration.schemas import (
    AccessReview,
    HistoryEntry,
    InvitationReissue,
    MemberAdmin,
    MemberCreate,
    MemberCreated,
    MemberDeactivate,
    MemberUpdate,
    OrganisationAdmin,
    OrganisationCreate,
    OrganisationRename,
)
from core.administration.services import OrganisationService
from core.authz.actor import Actor


async def provide_organisation_service(
    db_session: NamedDependency[AsyncSession], actor: NamedDependency[Actor]
) -> OrganisationService:
    return OrganisationService(db_session, actor)


async def provide_member_service(
    db_session: NamedDependency[AsyncSession], actor: NamedDependency[Actor], state: State
) -> MemberService:
    return MemberService(db_session, actor, state.settings.smtp)


class OrganisationAdminController(Controller):
    path = "/api/v1/t/{tenant:str}/admin/organisations"
    tags = ["administration"]
    dependencies = {"service": Provide(provide_organisation_service)}

    @get("/", summary="The partner organisations, with active members (partnership lead)")
    async def list_organisations(
        self, service: NamedDependency[OrganisationService]
    ) -> list[OrganisationAdmin]:
        return await service.list()

    @post("/", summary="Add a partner organisation")
    async def add_organisation(
        self, service: NamedDependency[OrganisationService], data: JSONBody[OrganisationCreate]
    ) -> OrganisationAdmin:
        return await service.add(data)

    @get("/{organisation_id:uuid}", summary="One organisation")
    async def show_organisation(
        self, service: NamedDependency[OrganisationService], organisation_id: FromPath[uuid.UUID]
    ) -> OrganisationAdmin:
        return await service.show(organisation_id)

    @patch("/{organisation_id:uuid}", summary="Rename an organisation")
    async def rename_organisation(
        self,
        service: NamedDependency[OrganisationService],
        organisation_id: FromPath[uuid.UUID],
        data: JSONBody[OrganisationRename],
    ) -> OrganisationAdmin:
        return await service.rename(organisation_id, data)

    @post(
        "/{organisation_id:uuid}/deactivate",
        status_code=200,
        summary="Deactivate an organisation that has no active members",
    )
    async def deactivate_organisation(
        self, service: NamedDependency[OrganisationService], organisation_id: FromPath[uuid.UUID]
    ) -> OrganisationAdmin:
        return await service.deactivate(organisation_id)

    @get("/{organisation_id:uuid}/history", summary="Every change to the organisation")
    async def organisation_history(
        self, service: NamedDependency[OrganisationService], organisation_id: FromPath[uuid.UUID]
    ) -> list[HistoryEntry]:
        return await service.history(organisation_id)


class MemberAdminController(Controller):
    path = "/api/v1/t/{tenant:str}/admin"
    tags = ["administration"]
    dependencies = {"service": Provide(provide_member_service)}

    @get("/members", summary="Every membership of the partnership (partnership lead)")
    async def list_members(self, service: NamedDependency[MemberService]) -> list[MemberAdmin]:
        return await service.list()

    @post(
        "/members",
        summary="Invite a member by email, or create one with a temporary password",
        description="The invitation link or temporary password is in this answer only.",
    )
    async def create_member(
        self, service: NamedDependency[MemberService], data: JSONBody[MemberCreate]
    ) -> MemberCreated:
        return await service.create(data)

    @get("/members/{membership_id:uuid}", summary="One membership")
    async def show_member(
        self, service: NamedDependency[MemberService], membership_id: FromPath[uuid.UUID]
    ) -> MemberAdmin:
        return await service.show(membership_id)

    @patch("/members/{membership_id:uuid}", summary="Change a member's roles or organisation")
    async def update_member(
        self,
        service: NamedDependency[MemberService],
        membership_id: FromPath[uuid.UUID],
        data: JSONBody[MemberUpdate],
    ) -> MemberAdmin:
        return await service.update(membership_id, data)

    @post(
        "/members/{membership_id:uuid}/deactivate",
        status_code=200,
        summary="Deactivate now (ends their sessions and tokens at once) or on a date",
    )
    async def deactivate_member(
        self,
        service: NamedDependency[MemberService],
        membership_id: FromPath[uuid.UUID],
        data: JSONBody[MemberDeactivate],
    ) -> MemberAdmin:
        return await service.deactivate(membership_id, data)

    @post(
        "/members/{membership_id:uuid}/invitation",
        summary="A new invitation for someone who has not chosen a password yet",
    )
    async def reissue_invitation(
        self,
        service: NamedDependency[MemberService],
        membership_id: FromPath[uuid.UUID],
        data: JSONBody[InvitationReissue],
    ) -> MemberCreated:
        return await service.reissue(membership_id, data.how)

    @get("/members/{membership_id:uuid}/history", summary="Every change to the membership")
    async def member_history(
        self, service: NamedDependency[MemberService], membership_id: FromPath[uuid.UUID]
    ) -> list[HistoryEntry]:
        return await service.history(membership_id)

    @get("/access-review", summary="Who has which role, when each last signed in; unused flagged")
    async def access_review(self, service: NamedDependency[MemberService]) -> AccessReview:
        return await service.review()
