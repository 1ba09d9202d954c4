"""How job arguments travel through Redis: msgpack, one encoding for enqueuer and worker.

Its own module so the outbox (which enqueues) and the worker (which runs) both depend on
it without depending on each other.
"""

from __future__ import annotations

from typing import Any

import msgspec


def serializers() -> dict[str, Any]:
    """arq's ``job_serializer``/``job_deserializer`` keyword arguments."""
    return {"job_serializer": msgspec.msgpack.encode, "job_deserializer": msgspec.msgpack.decode}
