"""Stopping gracefully on SIGTERM and Ctrl-C.

uvicorn handles these signals while it serves and raises them again once it has stopped; with
Python's default handlers that ends the process there, before the runs in progress have
finished and their leases are released. Within `stop_signals()` the first signal only asks to
stop (the caller then finishes its work); a second one ends the process at once (the leases of
its runs then expire and another process takes them over).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["stop_signals"]

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stop_signals() -> Iterator[threading.Event]:
    """An event set by the first SIGTERM or SIGINT received within the block."""
    stop = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            os._exit(128 + signum)
        stop.set()

    previous = {signum: signal.signal(signum, handle) for signum in _SIGNALS}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
