"""Concurrent writes: two web processes against one database, N intervention writes spread
over both at once; counted: failed requests, writes lost, audit rows missing or doubled
(exactly one ``create`` row per intervention), audit-chain breaks."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select

from core.bench.faults.processes import AUDIT_KEY, free_port, start_web, stop, wait_ready
from core.bench.faults.seeding import API, TENANT, seed
from core.db.engine import make_engine, make_session_factory
from core.settings import Settings


@dataclass
class WriteFigures:
    writes: int
    processes: int
    failed_requests: int
    writes_lost: int
    audit_missing: int
    audit_doubled: int
    chain_rows_checked: int
    chain_breaks: int  # verify_chain stops at the first break: 0 or 1
    seconds: float
    first_break: str | None = None

    def rows(self) -> list[tuple[str, str]]:
        return [
            (
                "concurrent writes",
                f"{self.writes} intervention writes over {self.processes} web processes "
                f"in {self.seconds:.1f} s",
            ),
            ("concurrent writes: failed requests", str(self.failed_requests)),
            ("concurrent writes: writes lost", str(self.writes_lost)),
            (
                "concurrent writes: audit rows missing / doubled",
                f"{self.audit_missing} / {self.audit_doubled}",
            ),
            (
                "concurrent writes: chain breaks",
                f"{self.chain_breaks} ({self.chain_rows_checked} rows checked)"
                + (f", first: {self.first_break}" if self.first_break else ""),
            ),
        ]


async def concurrent_writes(
    settings: Settings, var_dir: Path, *, writes: int = 200, processes: int = 2
) -> WriteFigures:
    from core.audit.chain import verify_chain
    from core.audit.models import AuditEvent
    from core.interventions.models import Intervention
    from core.tenancy.models import Tenant

    seeded = await seed(settings)
    ports = [free_port() for _ in range(processes)]
    procs = [
        start_web(settings.db.url, None, var_dir / f"web{i}", port) for i, port in enumerate(ports)
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    auth = {"Authorization": f"Bearer {seeded.token}"}
    try:
        await asyncio.gather(*(wait_ready(b) for b in bases))
        limits = httpx.Limits(max_connections=writes, max_keepalive_connections=writes)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:

            async def write(i: int) -> str | None:
                response = await client.post(
                    f"{bases[i % processes]}{API}/interventions",
                    json={
                        "person_id": seeded.person_id,
                        "kind": "one_to_one",
                        "setting": "prison",
                        "occurred_at": "2026-01-01T10:00:00Z",
                        "notes": f"concurrent write {i}",
                    },
                    headers=auth,
                )
                return str(response.json()["id"]) if response.status_code == 201 else None

            started = time.monotonic()
            made = await asyncio.gather(*(write(i) for i in range(writes)))
            seconds = time.monotonic() - started
    finally:
        stop(procs)

    acknowledged = [uuid.UUID(m) for m in made if m is not None]
    engine = make_engine(settings.db)
    factory = make_session_factory(engine)
    try:
        async with factory() as session:
            stored = set(
                (
                    await session.scalars(
                        select(Intervention.id).where(Intervention.id.in_(acknowledged))
                    )
                ).all()
            )
            audit = Counter(
                (
                    await session.scalars(
                        select(AuditEvent.record_id).where(
                            AuditEvent.record_type == "intervention",
                            AuditEvent.action == "create",
                            AuditEvent.record_id.in_(acknowledged),
                        )
                    )
                ).all()
            )
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == TENANT))
            assert tenant is not None
            report = await verify_chain(session, AUDIT_KEY.encode(), tenant_id=tenant.id)
    finally:
        await engine.dispose()
    return WriteFigures(
        writes=writes,
        processes=processes,
        failed_requests=writes - len(acknowledged),
        writes_lost=len(acknowledged) - len(stored),
        audit_missing=sum(1 for i in acknowledged if audit[i] == 0),
        audit_doubled=sum(1 for i in acknowledged if audit[i] > 1),
        chain_rows_checked=report.rows_checked,
        chain_breaks=0 if report.ok else 1,
        first_break=None if report.first_break is None else repr(report.first_break),
        seconds=seconds,
    )
