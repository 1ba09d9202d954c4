"""The audit hash chain: every audit event is linked to the one before it in its chain.

One chain per tenant, plus the platform's own (tenant_id null). A row carries its place
(``seq``), the hash of the row before it (``prev_hash``) and its own ``hash`` =
HMAC-SHA256(key, canonical content + prev_hash). The key lives outside the database, so
someone who can write to the database cannot rewrite a row and its successors unnoticed.

Rows are chained at flush, in the transaction of the change they record: a ``before_flush``
listener advances the chain's head row (``audit_chain_heads``) with one upsert ... RETURNING,
which takes the row lock on PostgreSQL and the write lock on SQLite, so a second writer
waits for the first to commit instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import msgspec
from sqlalchemy import event, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core.audit.models import AuditChainHead, AuditEvent
from core.db.base import new_id, utcnow

if TYPE_CHECKING:
    from pathlib import Path

    from core.settings import Settings

GENESIS = "0" * 64
PLATFORM_CHAIN = "platform"
# The head row of the platform's chain (tenant_id null on its events) is keyed by this.
PLATFORM_ID = uuid.UUID(int=0)
# Bumped if the canonical encoding ever changes, so old rows stay verifiable.
ENCODING_VERSION = 1

Problem = Literal["altered", "missing", "link", "truncated", "head", "checkpoint", "unchained"]


class Break(msgspec.Struct, frozen=True):
    """The first place a chain is broken."""

    seq: int
    id: uuid.UUID | None
    problem: Problem
    message: str


class VerifyReport(msgspec.Struct, frozen=True):
    chain: str
    tenant_id: uuid.UUID | None
    ok: bool
    rows_checked: int
    # Where the walk started (0 = the chain's beginning; else a prune cut) and ended.
    start_seq: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    # Rows written before chaining began (null seq): not covered by the chain.
    unchained_rows: int = 0
    first_break: Break | None = None


def chain_name(tenant_id: uuid.UUID | None) -> str:
    return PLATFORM_CHAIN if tenant_id is None else str(tenant_id)


def head_id(tenant_id: uuid.UUID | None) -> uuid.UUID:
    return PLATFORM_ID if tenant_id is None else tenant_id


def audit_key(settings: Settings) -> bytes:
    """The chain's HMAC key: THROUGHCARE_AUDIT_KEY, else derived from the secret key
    (domain-separated, so the session-signing key itself never signs audit rows)."""
    if settings.audit.key:
        return settings.audit.key.encode()
    return hmac.new(
        settings.security.secret_key.encode(), b"throughcare audit chain v1", hashlib.sha256
    ).digest()


def checkpoint_dir(settings: Settings) -> Path:
    return settings.audit.checkpoint_dir or settings.paths.var_dir / "audit-checkpoints"


# --- hashing -------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def canonical(row: AuditEvent | Any) -> bytes:
    """The bytes a row's hash covers: every content column, its place and its link."""
    return msgspec.json.encode(
        [
            ENCODING_VERSION,
            str(row.id),
            None if row.tenant_id is None else str(row.tenant_id),
            row.seq,
            _utc(row.at).isoformat(),
            None if row.user_id is None else str(row.user_id),
            None if row.organisation_id is None else str(row.organisation_id),
            row.action,
            row.record_type,
            None if row.record_id is None else str(row.record_id),
            None if row.person_id is None else str(row.person_id),
            row.request_id,
            row.rule,
            row.detail or {},
            row.prev_hash,
        ],
        order="sorted",
    )


def row_hash(key: bytes, row: AuditEvent | Any) -> str:
    return hmac.new(key, canonical(row), hashlib.sha256).hexdigest()


# --- the key each database's writers chain with ----------------------------------------

_KEYS: dict[str, bytes] = {}


def _url_key(url: URL | str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def register_key(url: URL | str, key: bytes) -> None:
    """Chain audit rows written to the database at ``url`` with ``key``. Called where the
    app, the worker and the CLI make their engines (they all hold Settings)."""
    _KEYS[_url_key(url)] = key


def register_settings(settings: Settings) -> None:
    register_key(settings.db.url, audit_key(settings))


def _key_for(session: Session) -> bytes:
    key = session.info.get("audit_key")
    if key is not None:
        return bytes(key)
    bind = session.get_bind()
    found = _KEYS.get(_url_key(bind.engine.url))
    if found is not None:
        return found
    # A process that never registered (a script): the environment's settings decide.
    from core.settings import get_settings

    settings = get_settings()
    register_settings(settings)
    return _KEYS.get(_url_key(bind.engine.url), audit_key(settings))


# --- chaining at flush ---------------------------------------------------------------


def _advance_head(session: Session, tenant_id: uuid.UUID | None, count: int) -> tuple[int, str]:
    """Reserve ``count`` places in the chain; returns (seq before them, hash before them).
    The upsert creates the head on a chain's first row and otherwise locks it."""
    table = AuditChainHead.__table__
    conn = session.connection()
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        dialect_insert(table)
        .values(tenant_id=head_id(tenant_id), seq=count, hash=GENESIS)
        .on_conflict_do_update(index_elements=["tenant_id"], set_={"seq": table.c.seq + count})
        .returning(table.c.seq, table.c.hash)
    )
    seq, head_hash = conn.execute(stmt).one()
    return int(seq) - count, str(head_hash)


def chain_events(session: Session, events: Iterable[AuditEvent], key: bytes) -> None:
    """Give unchained events their places, links and hashes, chain by chain."""
    by_chain: dict[str, list[AuditEvent]] = {}
    for item in events:
        by_chain.setdefault(chain_name(item.tenant_id), []).append(item)
    table = AuditChainHead.__table__
    # A fixed lock order: two transactions touching the same chains cannot deadlock.
    for name in sorted(by_chain):
        rows = by_chain[name]
        seq, prev = _advance_head(session, rows[0].tenant_id, len(rows))
        for item in rows:
            seq += 1
            if item.id is None:
                item.id = new_id()
            item.at = utcnow() if item.at is None else _utc(item.at)
            if item.detail is None:
                item.detail = {}
            item.seq, item.prev_hash = seq, prev
            item.hash = prev = row_hash(key, item)
        target = head_id(rows[0].tenant_id)
        session.connection().execute(
            update(table).where(table.c.tenant_id == target).values(hash=prev)
        )


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    pending = [o for o in session.new if isinstance(o, AuditEvent) and o.hash is None]
    if pending:
        chain_events(session, pending, _key_for(session))


event.listen(Session, "before_flush", _before_flush)


# --- verification --------------------------------------------------------------------


async def verify_chain(
    session: AsyncSession,
    key: bytes,
    tenant_id: uuid.UUID | None = None,
    *,
    checkpoints: Path | None = None,
    batch: int = 2000,
) -> VerifyReport:
    """Walk one chain (tenant_id None = the platform's) in sequence order, recompute every
    hash and report the first break. With ``checkpoints`` (a directory written by
    core.audit.checkpoint), the walk starts at the latest prune cut and the chain's end is
    compared with the latest signed head, so a truncated tail is found too."""
    from core.audit import checkpoint as cp

    name = chain_name(tenant_id)
    start_seq, expected_prev = 0, GENESIS
    head_cp: cp.Checkpoint | None = None
    if checkpoints is not None:
        try:
            cut, head_cp = cp.latest(checkpoints, name, key)
        except cp.CheckpointError as exc:
            return VerifyReport(
                name, tenant_id, False, 0, first_break=Break(0, None, "checkpoint", str(exc))
            )
        if cut is not None:
            start_seq, expected_prev = cut.seq, cut.hash

    def fail(count: int, last: int, last_hash: str, brk: Break) -> VerifyReport:
        return VerifyReport(
            name, tenant_id, False, count, start_seq, last, last_hash, unchained, brk
        )

    where = (
        AuditEvent.tenant_id.is_(None) if tenant_id is None else (AuditEvent.tenant_id == tenant_id)
    )
    unchained = int(
        await session.scalar(
            select(func.count()).select_from(AuditEvent).where(where, AuditEvent.seq.is_(None))
        )
        or 0
    )
    expected, count, checkpoint_seen = start_seq + 1, 0, False
    last_seq, last_hash = start_seq, expected_prev
    result = await session.stream_scalars(
        select(AuditEvent)
        .where(where, AuditEvent.seq > start_seq)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=batch)
    )
    async for row in result:
        assert row.seq is not None
        if row.seq > expected:
            missing = f"{expected}" if row.seq == expected + 1 else f"{expected}-{row.seq - 1}"
            return fail(
                count,
                last_seq,
                last_hash,
                Break(
                    row.seq, row.id, "missing", f"rows {missing} are missing before seq {row.seq}"
                ),
            )
        if row.hash != row_hash(key, row):
            return fail(
                count,
                last_seq,
                last_hash,
                Break(
                    row.seq, row.id, "altered", f"seq {row.seq}: content does not match its hash"
                ),
            )
        if row.prev_hash != expected_prev:
            return fail(
                count,
                last_seq,
                last_hash,
                Break(
                    row.seq,
                    row.id,
                    "link",
                    f"seq {row.seq}: does not link to the row before it",
                ),
            )
        if head_cp is not None and row.seq == head_cp.seq:
            checkpoint_seen = True
            if row.hash != head_cp.hash:
                return fail(
                    count,
                    last_seq,
                    last_hash,
                    Break(
                        row.seq,
                        row.id,
                        "link",
                        f"seq {row.seq}: differs from the signed checkpoint of "
                        f"{head_cp.at:%Y-%m-%d}",
                    ),
                )
        expected, count = expected + 1, count + 1
        last_seq, last_hash, expected_prev = row.seq, row.hash, row.hash
        if count % batch == 0:
            session.expunge_all()  # a long chain must not pile up in the identity map
    if head_cp is not None and not checkpoint_seen and head_cp.seq > last_seq:
        return fail(
            count,
            last_seq,
            last_hash,
            Break(
                last_seq + 1,
                None,
                "truncated",
                f"rows {last_seq + 1}-{head_cp.seq} are missing: the signed checkpoint of "
                f"{head_cp.at:%Y-%m-%d} ends at seq {head_cp.seq}",
            ),
        )
    if unchained:
        # Rows from before chaining began are expected; one written since (a bulk insert
        # that bypassed the flush listener, or a forged row) is a break.
        since = await session.scalar(
            select(func.min(AuditEvent.at)).where(where, AuditEvent.seq.is_not(None))
        )
        stray = None
        if since is not None:
            stray = await session.scalar(
                select(AuditEvent.id)
                .where(where, AuditEvent.seq.is_(None), AuditEvent.at >= since)
                .limit(1)
            )
        if stray is not None:
            return fail(
                count,
                last_seq,
                last_hash,
                Break(0, stray, "unchained", "a row written since chaining began has no place"),
            )
    head = await session.get(AuditChainHead, head_id(tenant_id))
    head_seq = 0 if head is None else head.seq
    if head_seq != last_seq and not (head is None and last_seq == start_seq):
        problem: Problem = "truncated" if head_seq > last_seq else "head"
        return fail(
            count,
            last_seq,
            last_hash,
            Break(
                last_seq + 1,
                None,
                problem,
                f"the chain ends at seq {last_seq} but its head says {head_seq}",
            ),
        )
    return VerifyReport(name, tenant_id, True, count, start_seq, last_seq, last_hash, unchained)
