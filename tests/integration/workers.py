"""Real `claimbridge worker` processes for the multi-process tests.

Each worker is started with subprocess (its own interpreter, its own connection pool), logs
JSON lines at INFO to a file of its own, and is stopped with SIGTERM (or killed with SIGKILL).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

READY = "claimbridge worker "


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Worker:
    def __init__(
        self,
        config: Path,
        database_url: str,
        log: Path,
        *,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.log = log
        self.port = port
        args = [sys.executable, "-c", "from gateway.cli import main; main()"]
        args += ["-c", str(config), "--log-level", "INFO", "--log-json", "worker"]
        if port is not None:
            args += ["--port", str(port)]
        environ = {**os.environ, "CLAIMBRIDGE_DATABASE_URL": database_url, **(env or {})}
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            args, stdout=self._out, stderr=subprocess.STDOUT, env=environ
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"worker {self.pid} ended: {self.log.read_text(errors='replace')}")
        text = self.log.read_text(errors="replace")
        if READY not in text:
            return False
        if self.port is None:
            return True
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            self._out.close()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self._out.close()

    def lines(self) -> Iterator[dict[str, Any]]:
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                yield json.loads(line)


def wait_until_ready(workers: list[Worker], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not all(w.ready() for w in workers):
        if time.monotonic() > deadline:
            raise TimeoutError("workers did not start: " + ", ".join(str(w.log) for w in workers))
        time.sleep(0.1)


def stop_all(workers: list[Worker]) -> None:
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGTERM)
    for worker in workers:
        if not worker._out.closed:
            worker.stop()


def wait_for(predicate: Any, timeout: float, what: str, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(every)
