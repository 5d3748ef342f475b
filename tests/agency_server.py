"""A real `claimbridge serve` (uvicorn) in a subprocess on a free loopback port, for tests
and benchmarks that need real HTTP between processes (concurrency, throughput)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

__all__ = ["free_port", "running_server", "wait_until_up"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer {url} within {timeout} s")


@contextmanager
def _process(args: list[str], env: dict[str, str], probe: str) -> Iterator[None]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_up(probe, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


@contextmanager
def running_server(config_path: Path, database_url: str) -> Iterator[str]:
    """`claimbridge serve --no-scheduler` (one uvicorn worker); yields its base URL."""
    port = free_port()
    env = {**os.environ, "CLAIMBRIDGE_DATABASE_URL": database_url}
    args = [
        sys.executable,
        "-c",
        "from gateway.cli import main; main()",
        "--config",
        str(config_path),
        "serve",
        "--port",
        str(port),
        "--no-scheduler",
    ]
    base = f"http://127.0.0.1:{port}"
    with _process(args, env, f"{base}/livez"):
        yield base


@contextmanager
def running_module(module: str, *extra: str) -> Iterator[str]:
    """`python -m module --port N *extra` serving HTTP; yields its base URL."""
    port = free_port()
    args = [sys.executable, "-m", module, "--port", str(port), *extra]
    base = f"http://127.0.0.1:{port}"
    with _process(args, dict(os.environ), f"{base}/livez"):
        yield base
