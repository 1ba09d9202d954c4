"""`throughcare serve --workers N` (or THROUGHCARE_SERVER_WORKERS) runs N processes that
all answer on the one port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from core.db.migrate import upgrade
from core.settings import PROJECT_ROOT, SettingsError, load_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(tmp_path: Path, argv: list[str], **env: str) -> tuple[subprocess.Popen[bytes], Path]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"
    upgrade(url, "heads")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("THROUGHCARE_")}
    environ |= {"THROUGHCARE_DATABASE_URL": url, "THROUGHCARE_VAR_DIR": str(tmp_path), **env}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "core.cli", "serve", *argv],
            cwd=PROJECT_ROOT,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, log


def wait_for_processes(port: int, log: Path, count: int) -> str:
    deadline = time.monotonic() + 150  # two app imports on a busy machine
    while time.monotonic() < deadline:
        text = log.read_text()
        try:
            healthy = httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
        except httpx.TransportError:
            healthy = False
        if healthy and text.count("Application startup complete") >= count:
            return text
        time.sleep(0.2)
    raise AssertionError(f"server did not start {count} processes:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.mark.parametrize("how", ["option", "setting"])
def test_serve_runs_the_given_number_of_processes(tmp_path: Path, how: str) -> None:
    port = free_port()
    argv = ["--port", str(port)]
    env = {"THROUGHCARE_SERVER_WORKERS": "2"} if how == "setting" else {}
    process, log = serve(tmp_path, argv + (["--workers", "2"] if how == "option" else []), **env)
    try:
        text = wait_for_processes(port, log, 2)
        pids = {
            line.split("[")[1].split("]")[0]
            for line in text.splitlines()
            if "Started server process" in line
        }
        assert len(pids) == 2, text
    finally:
        stop(process)


def test_the_worker_count_must_be_a_positive_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THROUGHCARE_SERVER_WORKERS", "0")
    with pytest.raises(SettingsError, match="THROUGHCARE_SERVER_WORKERS"):
        load_settings()
    monkeypatch.setenv("THROUGHCARE_SERVER_WORKERS", "3")
    assert load_settings().server.workers == 3
