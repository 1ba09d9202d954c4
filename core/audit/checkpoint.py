"""Signed checkpoints of the chain heads, kept outside the database.

One append-only JSON-lines file per chain under the checkpoint directory. A "head" line
records where the chain stood (seq, hash) at a moment, so a later verify notices rows cut
from the tail; a "cut" line records where a retention prune cut the chain (the last pruned
row's seq and hash), so verify starts there. Each line is signed with the audit key: a
forged or edited line is refused, never trusted. Copy the directory off the host (backup,
log shipping) for the checkpoints to survive someone who controls the host.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from datetime import datetime
from pathlib import Path
from typing import Literal

import msgspec

from core.db.base import utcnow


class CheckpointError(Exception):
    """A checkpoint file that cannot be trusted (bad signature or unreadable)."""


class Checkpoint(msgspec.Struct, frozen=True):
    chain: str
    tenant_id: uuid.UUID | None
    kind: Literal["head", "cut"]
    seq: int
    hash: str
    at: datetime
    sig: str = ""


def _signature(key: bytes, point: Checkpoint) -> str:
    body = msgspec.json.encode(msgspec.structs.replace(point, sig=""), order="sorted")
    return hmac.new(key, b"checkpoint:" + body, hashlib.sha256).hexdigest()


def _path(directory: Path, chain: str) -> Path:
    # Chain names are a UUID or "platform": safe as file names.
    return directory / f"{chain}.jsonl"


def write(
    directory: Path,
    key: bytes,
    chain: str,
    tenant_id: uuid.UUID | None,
    kind: Literal["head", "cut"],
    seq: int,
    hash_: str,
) -> Checkpoint:
    point = Checkpoint(chain, tenant_id, kind, seq, hash_, utcnow())
    point = msgspec.structs.replace(point, sig=_signature(key, point))
    directory.mkdir(parents=True, exist_ok=True)
    with _path(directory, chain).open("ab") as out:
        out.write(msgspec.json.encode(point) + b"\n")
        out.flush()
        os.fsync(out.fileno())
    return point


def read_all(directory: Path, chain: str, key: bytes) -> list[Checkpoint]:
    path = _path(directory, chain)
    if not path.exists():
        return []
    points: list[Checkpoint] = []
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            point = msgspec.json.decode(line, type=Checkpoint)
        except msgspec.DecodeError:
            raise CheckpointError(f"checkpoint {path.name} line {number} is unreadable") from None
        if not hmac.compare_digest(point.sig, _signature(key, point)) or point.chain != chain:
            raise CheckpointError(f"checkpoint {path.name} line {number} has a bad signature")
        points.append(point)
    return points


def latest(directory: Path, chain: str, key: bytes) -> tuple[Checkpoint | None, Checkpoint | None]:
    """(the latest prune cut, the latest head) for a chain; either may be None."""
    cut: Checkpoint | None = None
    head: Checkpoint | None = None
    for point in read_all(directory, chain, key):
        if point.kind == "cut" and (cut is None or point.seq >= cut.seq):
            cut = point
        if head is None or point.seq >= head.seq:
            head = point  # a cut is also a place the chain is known to have reached
    return cut, head
