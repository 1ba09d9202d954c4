"""The tamper-evident audit trail: events made through the API form one unbroken HMAC
chain per tenant, and `throughcare audit verify` names the first row someone with
database rights altered, deleted or cut from the tail."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Uuid, bindparam, insert, select, text
from sqlalchemy.exc import DBAPIError

from core import cli
from core.audit import checkpoint as cp
from core.audit.chain import audit_key, checkpoint_dir, verify_chain
from core.audit.models import AuditEvent
from core.audit.prune import prune_chain
from core.db.engine import make_engine, make_session_factory
from core.settings import get_settings

LM = "/api/v1/t/low-moss"
PERSON = {"given_name": "Robin", "family_name": "Chainlink", "date_of_birth": "1990-03-02"}


async def db_run(world: Any, work: Any) -> Any:
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            return await work(session)
    finally:
        await engine.dispose()


async def sql(world: Any, *statements: str, **params: Any) -> None:
    async def work(session: Any) -> None:
        for statement in statements:
            uuids = [bindparam(k, type_=Uuid()) for k, v in params.items() if f":{k}" in statement
                     and isinstance(v, uuid.UUID)]  # fmt: skip
            used = {k: v for k, v in params.items() if f":{k}" in statement}
            await session.execute(text(statement).bindparams(*uuids), used)
        await session.commit()

    await db_run(world, work)


async def disable_triggers(world: Any) -> None:
    """What an attacker with DBA rights would do first."""
    if world.settings.db.is_sqlite:
        await sql(
            world,
            "DROP TRIGGER audit_events_no_update",
            "DROP TRIGGER audit_events_no_delete",
        )
    else:
        await sql(world, "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")


async def log_work(world: Any, count: int = 3) -> str:
    """A person and ``count`` interventions, through the API as a case worker."""
    made = await world.post("lm_worker", f"{LM}/persons", PERSON)
    assert made.status_code == 201, made.text
    person_id = made.json()["id"]
    for n in range(count):
        response = await world.post(
            "lm_worker",
            f"{LM}/interventions",
            {
                "person_id": person_id,
                "kind": "motivational_interview",
                "setting": "prison",
                "occurred_at": (datetime.now(UTC) - timedelta(hours=n + 1)).isoformat(),
                "duration_minutes": 30,
                "notes": f"Session {n}",
            },
        )
        assert response.status_code == 201, response.text
    return person_id


async def chain_rows(world: Any) -> list[AuditEvent]:
    tenant_id = world.tenants["low-moss"].id

    async def work(session: Any) -> list[AuditEvent]:
        stmt = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id).order_by(AuditEvent.seq)
        return list((await session.scalars(stmt)).all())

    return await db_run(world, work)


@pytest.fixture
def audit_cli(world: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`throughcare audit ...` against the test's database, with the test app's key
    (both derive it from the same secret key), on a thread: the command runs its own loop."""
    monkeypatch.setenv("THROUGHCARE_DATABASE_URL", world.settings.db.url)
    monkeypatch.setenv("THROUGHCARE_SECRET_KEY", world.settings.security.secret_key)
    monkeypatch.setenv("THROUGHCARE_VAR_DIR", str(world.settings.paths.var_dir))
    monkeypatch.setenv("THROUGHCARE_ENV", "test")
    monkeypatch.delenv("THROUGHCARE_AUDIT_KEY", raising=False)
    monkeypatch.delenv("THROUGHCARE_AUDIT_CHECKPOINT_DIR", raising=False)
    monkeypatch.delenv("THROUGHCARE_REDIS_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    async def run(*args: str) -> Any:
        get_settings.cache_clear()
        return await asyncio.to_thread(runner.invoke, cli.main, ["audit", *args])

    yield run
    get_settings.cache_clear()


async def test_events_made_through_the_api_form_a_chain_that_verifies(world, audit_cli):
    await log_work(world)
    rows = await chain_rows(world)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert len(rows) >= 4  # the person and three interventions, at least
    assert all(r.prev_hash == p.hash for p, r in itertools.pairwise(rows))

    async def work(session: Any) -> Any:
        return await verify_chain(session, audit_key(world.settings), world.tenants["low-moss"].id)

    report = await db_run(world, work)
    assert report.ok and report.rows_checked == len(rows) and report.first_break is None

    result = await audit_cli("verify", "--tenant", "low-moss")
    assert result.exit_code == 0, result.output
    assert f"ok, {len(rows)} rows" in result.output
    everything = await audit_cli("verify")
    assert everything.exit_code == 0, everything.output
    assert "chain platform: ok" in everything.output


async def test_a_wrong_key_fails_verification(world):
    await log_work(world, count=1)

    async def work(session: Any) -> Any:
        return await verify_chain(session, b"k" * 32, world.tenants["low-moss"].id)

    report = await db_run(world, work)
    assert not report.ok and report.first_break.seq == 1
    assert report.first_break.problem == "altered"


async def test_the_triggers_refuse_update_and_delete(world):
    await log_work(world, count=1)
    for statement in (
        "UPDATE audit_events SET action = 'read' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 1",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            await sql(world, statement)
    assert len(await chain_rows(world)) >= 2


async def test_verify_names_an_altered_row(world, audit_cli):
    await log_work(world)
    await disable_triggers(world)
    await sql(
        world,
        "UPDATE audit_events SET record_type = 'consent' WHERE tenant_id = :t AND seq = 3",
        t=world.tenants["low-moss"].id,
    )
    result = await audit_cli("verify", "--tenant", "low-moss")
    assert result.exit_code == 1
    assert "BROKEN at seq 3" in result.output and "altered" in result.output
    row = next(r for r in await chain_rows(world) if r.seq == 3)
    assert str(row.id) in result.output


async def test_verify_names_a_deleted_row(world, audit_cli):
    await log_work(world)
    await disable_triggers(world)
    await sql(
        world,
        "DELETE FROM audit_events WHERE tenant_id = :t AND seq = 2",
        t=world.tenants["low-moss"].id,
    )
    result = await audit_cli("verify", "--tenant", "low-moss")
    assert result.exit_code == 1
    assert "BROKEN at seq 3" in result.output and "missing" in result.output
    assert "rows 2 are missing" in result.output


async def test_verify_names_a_rewired_link(world, audit_cli):
    """A row re-pointed at another predecessor keeps its own hash only if the attacker has
    the key; without it, the recomputed hash gives it away before the link is checked."""
    await log_work(world)
    await disable_triggers(world)
    rows = await chain_rows(world)
    await sql(
        world,
        "UPDATE audit_events SET prev_hash = :h WHERE tenant_id = :t AND seq = 3",
        h=rows[0].hash,
        t=world.tenants["low-moss"].id,
    )
    result = await audit_cli("verify", "--tenant", "low-moss")
    assert result.exit_code == 1 and "BROKEN at seq 3" in result.output


async def test_a_row_written_around_the_chain_is_named(world, audit_cli):
    """A bulk insert bypasses the flush listener: verify must not let it pass unnoticed."""
    await log_work(world, count=1)
    stray = uuid.uuid4()

    async def work(session: Any) -> None:
        await session.execute(
            insert(AuditEvent.__table__).values(
                id=stray,
                tenant_id=world.tenants["low-moss"].id,
                at=datetime.now(UTC),
                action="read",
                record_type="person",
                detail={},
            )
        )
        await session.commit()

    await db_run(world, work)
    result = await audit_cli("verify", "--tenant", "low-moss")
    assert result.exit_code == 1
    assert "unchained" in result.output and str(stray) in result.output


async def test_a_truncated_tail_is_caught_by_the_signed_checkpoint(world, audit_cli):
    await log_work(world)
    written = await audit_cli("checkpoint")
    assert written.exit_code == 0, written.output
    rows = await chain_rows(world)
    last = rows[-1].seq
    assert (checkpoint_dir(world.settings) / f"{world.tenants['low-moss'].id}.jsonl").exists()

    # The attacker removes the last two rows and winds the head back to match.
    await disable_triggers(world)
    tid = world.tenants["low-moss"].id
    await sql(
        world, "DELETE FROM audit_events WHERE tenant_id = :t AND seq > :s", t=tid, s=last - 2
    )
    await sql(
        world,
        "UPDATE audit_chain_heads SET seq = :s, hash = :h WHERE tenant_id = :t",
        s=last - 2,
        h=rows[-3].hash,
        t=tid,
    )
    result = await audit_cli("verify", "--tenant", "low-moss")
    assert result.exit_code == 1
    assert f"BROKEN at seq {last - 1}" in result.output and "truncated" in result.output


async def test_a_forged_checkpoint_is_refused(world, audit_cli):
    await log_work(world, count=1)
    assert (await audit_cli("checkpoint", "--tenant", "low-moss")).exit_code == 0
    path = checkpoint_dir(world.settings) / f"{world.tenants['low-moss'].id}.jsonl"
    path.write_text(path.read_text().replace('"kind":"head"', '"kind":"cut"'))
    result = await audit_cli("verify", "--tenant", "low-moss")
    assert result.exit_code == 1 and "bad signature" in result.output


async def test_concurrent_writers_leave_one_unbroken_chain(world):
    made = await world.post("lm_worker", f"{LM}/persons", PERSON)
    person_id = made.json()["id"]

    async def one(n: int) -> int:
        response = await world.post(
            "lm_worker",
            f"{LM}/interventions",
            {
                "person_id": person_id,
                "kind": "motivational_interview",
                "setting": "prison",
                "occurred_at": (datetime.now(UTC) - timedelta(minutes=n + 1)).isoformat(),
                "duration_minutes": 10,
            },
        )
        return response.status_code

    statuses = await asyncio.gather(*(one(n) for n in range(20)))
    assert statuses == [201] * 20
    rows = await chain_rows(world)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert sum(r.record_type == "intervention" and r.action == "create" for r in rows) == 20

    async def work(session: Any) -> Any:
        return await verify_chain(session, audit_key(world.settings), world.tenants["low-moss"].id)

    report = await db_run(world, work)
    assert report.ok and report.rows_checked == len(rows)


async def test_overlapping_transactions_queue_on_the_chain_head(world):
    """Sessions that hold their transaction open after chaining: the head's lock makes the
    others wait, so no two rows take the same place and no link points at a lost row."""
    from core.audit.services import record

    tid = world.tenants["low-moss"].id
    engine = make_engine(world.settings.db)
    factory = make_session_factory(engine)

    async def writer(n: int) -> None:
        async with factory() as session:
            for _ in range(3):
                record(session, None, "read", "person", uuid.uuid4(), tenant_id=tid)
            await session.flush()
            await asyncio.sleep(0.02)  # keep the transaction open while the others try
            record(session, None, "update", "person", uuid.uuid4(), tenant_id=tid)
            await session.commit()

    try:
        await asyncio.gather(*(writer(n) for n in range(10)))
        async with factory() as session:
            report = await verify_chain(session, audit_key(world.settings), tid)
    finally:
        await engine.dispose()
    rows = await chain_rows(world)
    assert report.ok and report.rows_checked == len(rows) == 40
    assert [r.seq for r in rows] == list(range(1, 41))


async def test_prune_keeps_verify_passing(world, audit_cli):
    await log_work(world)
    rows = await chain_rows(world)
    tid = world.tenants["low-moss"].id
    directory = checkpoint_dir(world.settings)

    async def prune(session: Any) -> Any:
        return await prune_chain(session, audit_key(world.settings), tid, rows[2].at, directory)

    result = await db_run(world, prune)
    assert result.deleted == 2 and result.cut_seq == 2
    kept = await chain_rows(world)
    assert [r.seq for r in kept] == [r.seq for r in rows[2:]]
    cut, _ = cp.latest(directory, str(tid), audit_key(world.settings))
    assert cut is not None and (cut.seq, cut.hash) == (2, rows[1].hash)

    # Deletes are refused again once the prune's transaction is over.
    with pytest.raises(DBAPIError, match="append-only"):
        await sql(world, "DELETE FROM audit_events WHERE tenant_id = :t", t=tid)

    await log_work(world, count=1)  # the chain carries on after the cut
    verified = await audit_cli("verify", "--tenant", "low-moss")
    assert verified.exit_code == 0, verified.output
    assert "from cut at seq 2" in verified.output

    # Without the cut checkpoint the missing start would be a break.
    (directory / f"{tid}.jsonl").unlink()
    broken = await audit_cli("verify", "--tenant", "low-moss")
    assert broken.exit_code == 1 and "rows 1-2 are missing" in broken.output


async def test_prune_command_needs_a_retention_period(world, audit_cli):
    result = await audit_cli("prune")
    assert result.exit_code != 0 and "THROUGHCARE_AUDIT_RETENTION_DAYS" in result.output
    ran = await audit_cli("prune", "--days", "30")
    assert ran.exit_code == 0, ran.output
    assert "0 rows pruned" in ran.output


def test_platform_events_chain_without_a_tenant() -> None:
    """The platform's chain is keyed apart from every tenant's."""
    from core.audit.chain import PLATFORM_ID, chain_name, head_id

    assert chain_name(None) == "platform" and head_id(None) == PLATFORM_ID
    some = uuid.uuid4()
    assert head_id(some) == some and chain_name(some) == str(some)


async def test_the_daily_job_verifies_then_checkpoints(world):
    from core.audit.jobs import SCHEDULE, audit_verify_and_checkpoint
    from core.jobs.worker import collect_schedules, job_context
    from core.plugins import get_plugin_manager

    pm = get_plugin_manager()
    assert ("core.audit.jobs", SCHEDULE) in collect_schedules(pm, world.settings)
    await log_work(world, count=1)
    tid = world.tenants["low-moss"].id
    engine = make_engine(world.settings.db)
    try:
        ctx = job_context(world.settings, pm, make_session_factory(engine))
        answer = await audit_verify_and_checkpoint(ctx, tenant_id=str(tid))
    finally:
        await engine.dispose()
    assert sorted(answer["checkpointed"]) == sorted([str(tid), "platform"])
    _, head = cp.latest(checkpoint_dir(world.settings), str(tid), audit_key(world.settings))
    rows = await chain_rows(world)
    assert head is not None and (head.seq, head.hash) == (rows[-1].seq, rows[-1].hash)

    # A broken chain is reported and gets no new checkpoint.
    await disable_triggers(world)
    await sql(world, "DELETE FROM audit_events WHERE tenant_id = :t AND seq = 1", t=tid)
    engine = make_engine(world.settings.db)
    try:
        ctx = job_context(world.settings, pm, make_session_factory(engine))
        again = await audit_verify_and_checkpoint(ctx, tenant_id=str(tid))
    finally:
        await engine.dispose()
    assert again["checkpointed"] == ["platform"]
    assert not again["reports"][0]["ok"]
