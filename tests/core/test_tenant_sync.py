"""`tenants sync` seeds a partnership from its file; once running, the portal runs it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db.engine import make_engine, make_session_factory
from core.tenancy.models import Organisation
from core.tenancy.services import sync_tenants
from core.tenancy.spec import load_specs


async def test_a_sync_keeps_a_rename_made_in_the_portal(world: Any) -> None:
    engine = make_engine(world.settings.db)
    factory = make_session_factory(engine)
    tenant_id = world.tenants["low-moss"].id
    try:
        async with factory() as session:
            sacro = await session.scalar(
                select(Organisation).where(
                    Organisation.tenant_id == tenant_id, Organisation.slug == "sacro"
                )
            )
            assert sacro is not None
            sacro.name = "Sacro Throughcare Mentoring"
            await session.commit()
        async with factory() as session:
            await sync_tenants(session, load_specs(world.settings.paths.tenants_dir))
            await session.commit()
        async with factory() as session:
            names = dict(
                (
                    await session.execute(
                        select(Organisation.slug, Organisation.name).where(
                            Organisation.tenant_id == tenant_id
                        )
                    )
                ).all()
            )
        assert names["sacro"] == "Sacro Throughcare Mentoring"
        assert names["turning-point-scotland"] == "Turning Point Scotland"
    finally:
        await engine.dispose()
