"""``throughcare bench faults``: the portal under faults, on real processes.

Two scenarios, each on real uvicorn processes on 127.0.0.1 and a database made for the run:

- **Redis outage**: one web process on its own ``redis-server`` (started here on a free
  port, nothing kept on disk); a few clients loop bearer API reads, bearer API writes (a
  person with a liberation date, which asks for jobs through the outbox) and signed-in page
  loads; mid-run the Redis server is killed and, a few seconds later, started again. Counted
  per kind: ok, refused (503 with a message), server errors, and afterwards writes lost
  (an acknowledged write that is not in the database) and jobs: requested, handed to arq
  after recovery, lost.
- **Concurrent writes**: two web processes against one database, N intervention writes
  spread over both at once. Counted: failed requests, writes lost, audit rows missing or
  doubled (exactly one ``create`` row per intervention), audit-chain breaks.

Every figure printed is measured in this run; nothing is assumed.

Where each piece lives: the processes it starts (``processes``), the throwaway user and
person (``seeding``), the Redis outage (``outage``) and the concurrent writes (``writes``).
"""

from __future__ import annotations

from pathlib import Path

from core.bench.faults.outage import OutageFigures, Tally, redis_outage
from core.bench.faults.writes import WriteFigures, concurrent_writes
from core.settings import Settings

__all__ = [
    "OutageFigures",
    "Tally",
    "WriteFigures",
    "concurrent_writes",
    "redis_outage",
    "run",
    "table",
]


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


async def run(
    settings: Settings, var_dir: Path, *, writes: int, clients: int, outage_s: float
) -> list[tuple[str, str]]:
    outage = await redis_outage(settings, var_dir / "outage", clients=clients, outage_s=outage_s)
    written = await concurrent_writes(settings, var_dir / "writes", writes=writes)
    return outage.rows() + written.rows()
