"""The real processes a fault run starts: ``redis-server`` on a free port, uvicorn web
processes with the run's database and keys, and their orderly stop."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from core.settings import PROJECT_ROOT

SECRET = "f" * 48
# Fixed so the chain can be verified here with the key the web processes signed with.
AUDIT_KEY = "fault-bench-audit-key-" + "k" * 16


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(port: int) -> subprocess.Popen[bytes]:
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
    return subprocess.Popen(  # noqa: S603 - fixed argv, no shell; nothing kept on disk
        [*argv, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_redis(port: int, deadline: float = 10) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"redis-server on port {port} did not start")


def start_web(
    db_url: str, redis_url: str | None, var_dir: Path, port: int
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "THROUGHCARE_DATABASE_URL": db_url,
        "THROUGHCARE_SECRET_KEY": SECRET,
        "THROUGHCARE_AUDIT_KEY": AUDIT_KEY,
        "THROUGHCARE_VAR_DIR": str(var_dir),
        "THROUGHCARE_LOG_LEVEL": "ERROR",
    }
    env.pop("THROUGHCARE_REDIS_URL", None)
    if redis_url:
        env["THROUGHCARE_REDIS_URL"] = redis_url
    argv = [sys.executable, "-m", "uvicorn", "core.app:create_app", "--factory"]
    var_dir.mkdir(parents=True, exist_ok=True)
    with (var_dir / "web.log").open("ab") as log:  # the child keeps its own descriptor
        return subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [*argv, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=PROJECT_ROOT,
            env=env,
            stderr=log,
        )


async def wait_ready(base: str, deadline: float = 60) -> None:
    async with httpx.AsyncClient() as client:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            try:
                if (await client.get(f"{base}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{base} did not start")


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for proc in processes:
        if proc.poll() is None:
            proc.terminate()
    for proc in processes:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
