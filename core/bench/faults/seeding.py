"""What a fault run starts from: the partnerships, one case worker with a password and a
bearer token, and one person made through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import msgspec
from sqlalchemy import select

from core.accounts.models import Membership, User
from core.accounts.passwords import hash_password
from core.accounts.services import issue_token
from core.bench.faults.processes import AUDIT_KEY
from core.db.engine import make_engine, make_session_factory
from core.settings import Settings
from core.tenancy.services import sync_tenants
from core.tenancy.spec import load_specs

TENANT = "low-moss"
API = f"/api/v1/t/{TENANT}"
PASSWORD = "fault-bench-password-1"  # noqa: S105 - a throwaway user in a throwaway database


@dataclass
class Seeded:
    username: str
    token: str
    person_id: str


async def seed(settings: Settings) -> Seeded:
    """The partnerships, one case worker with a password and a token, and one person."""
    # The web processes sign the audit chain with AUDIT_KEY; so must everything seeded here.
    settings = msgspec.structs.replace(
        settings, audit=msgspec.structs.replace(settings.audit, key=AUDIT_KEY)
    )
    from core.tenancy.models import Organisation, Tenant

    engine = make_engine(settings.db)
    factory = make_session_factory(engine)
    username = f"fault.worker.{uuid.uuid4().hex[:8]}"
    try:
        async with factory() as session:
            await sync_tenants(session, load_specs(settings.paths.tenants_dir))
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == TENANT))
            assert tenant is not None
            org = await session.scalar(
                select(Organisation).where(
                    Organisation.tenant_id == tenant.id,
                    Organisation.slug == "turning-point-scotland",
                )
            )
            assert org is not None
            user = User(
                username=username,
                display_name="Fault Worker",
                password_hash=hash_password(PASSWORD),
                is_platform_admin=False,
            )
            session.add(user)
            await session.flush()
            session.add(
                Membership(
                    tenant_id=tenant.id,
                    user_id=user.id,
                    organisation_id=org.id,
                    roles=["case_worker"],
                )
            )
            issued = await issue_token(session, user, settings.security)
            await session.commit()
    finally:
        await engine.dispose()
    person = await _first_person(settings, issued.token)
    return Seeded(username=username, token=issued.token, person_id=person)


async def _first_person(settings: Settings, token: str) -> str:
    """A person made through the API (so the relation and audit rows are the real ones)."""
    from litestar.testing import AsyncTestClient

    from core.app import create_app

    async with AsyncTestClient(app=create_app(settings)) as client:
        made = await client.post(
            f"{API}/persons",
            json={"given_name": "Fault", "family_name": "Subject", "date_of_birth": "1985-05-05"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert made.status_code == 201, made.text
        return str(made.json()["id"])
