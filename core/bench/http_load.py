"""The load generator of ``throughcare bench http``: keep-alive HTTP/1.1 over asyncio
streams, a bounded run per case (a request count AND a time limit), and the figures.

A general client (httpx) costs more per request than the minimal Litestar app it is
measuring, so the generator would be what is timed: this one writes prepared bytes and
reads a response by its Content-Length (or chunks), nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    ok: tuple[int, ...] = (200,)

    def request_bytes(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"content-length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def quantile(self, q: float) -> float:
        """Milliseconds at quantile ``q`` (0..1) of the completed requests."""
        if not self.latencies:
            return 0.0
        if len(self.latencies) == 1:
            return self.latencies[0] * 1000
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[min(98, max(0, round(q * 100) - 1))] * 1000


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self.reader, self.writer

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        reader, writer = await self._open()
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunks(reader)
        else:
            body = b""
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, body

    @staticmethod
    async def _chunks(reader: asyncio.StreamReader) -> bytes:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def drive(
    host: str, port: int, case: Case, concurrency: int, requests: int, seconds: float
) -> Result:
    """Up to ``requests`` requests or ``seconds`` of them, whichever ends first."""
    result = Result()
    raw = case.request_bytes(f"{host}:{port}")
    issued = 0
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        nonlocal issued
        connection = Connection(host, port)
        try:
            while issued < requests and time.perf_counter() < deadline:
                issued += 1
                started = time.perf_counter()
                try:
                    status, _ = await connection.send(raw)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    result.errors += 1
                    await connection.close()
                    continue
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status in case.ok:
                    result.latencies.append(time.perf_counter() - started)
                else:
                    result.errors += 1
        finally:
            await connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - began
    return result


def merge(parts: Sequence[Result]) -> Result:
    merged = Result()
    for part in parts:
        merged.latencies += part.latencies
        merged.elapsed += part.elapsed
        merged.errors += part.errors
        for status, count in part.statuses.items():
            merged.statuses[status] = merged.statuses.get(status, 0) + count
    return merged


async def interleaved(
    targets: Sequence[tuple[str, int, Case]],
    concurrency: int,
    requests: int,
    seconds: float,
    rounds: int = 3,
) -> dict[str, Result]:
    """Each case in turn, ``rounds`` times, each turn a share of its bounds: a drift in the
    machine's speed during the run falls on every case alike, anchor included."""
    parts: dict[str, list[Result]] = {case.name: [] for _, _, case in targets}
    per_requests = max(1, requests // rounds)
    per_seconds = seconds / rounds
    for round_ in range(rounds):
        order = list(targets[round_ % len(targets) :]) + list(targets[: round_ % len(targets)])
        for host, port, case in order:
            parts[case.name].append(
                await drive(host, port, case, concurrency, per_requests, per_seconds)
            )
    return {name: merge(results) for name, results in parts.items()}
