"""Logging: structured (structlog) lines on stderr, JSON in production, readable in a terminal.

Every line goes through `redact_secrets`, last before rendering, so that no secret reaches a
log whatever logged it (our code, a library, an exception's text):
- values under keys that name a secret (password, passphrase, token, secret, api key,
  authorization, credential) are masked;
- passwords in URLs (`postgresql://user:password@host`) are masked;
- every secret the configuration loaded (`!env`, `!secret_file`) is registered with
  `register_secret` and masked wherever it appears in a line.

Correlation ids are bound as context (structlog.contextvars) and appear on every line logged
meanwhile, from structlog or the standard library: `run_id` and `job` during a scheduled run,
`transfer_id` from a transfer's start, `case` while a case changes, `request_id` during an
HTTP request.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import MutableMapping
from typing import Any

import structlog

__all__ = ["MASK", "configure_logging", "redact_secrets", "redact_text", "register_secret"]

MASK = "**********"
_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?$|secret|token|api[_-]?key|authori[sz]ation|credential|private[_-]?key",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.\-]*://[^:/@\s]*):[^@\s/]+@", re.IGNORECASE)
# Shorter values would mask ordinary words; secrets are longer than this.
_MIN_SECRET = 6

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Mask `value` wherever it appears in a log line from now on."""
    if len(value) >= _MIN_SECRET:
        with _secrets_lock:
            _secrets.add(value)


def redact_text(text: str) -> str:
    """`text` with URL passwords and registered secrets masked."""
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: (MASK if _secret_key(k) else _redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact(v) for v in value)
    return value


def _secret_key(key: object) -> bool:
    return isinstance(key, str) and bool(_SECRET_KEY.search(key))


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask secrets in every value of a log line."""
    for key, value in list(event_dict.items()):
        if _secret_key(key):
            event_dict[key] = MASK
        elif isinstance(value, str | dict | list | tuple):
            event_dict[key] = _redact(value)
    return event_dict


def configure_logging(level: str = "WARNING", json: bool = False) -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_secrets,
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        processor=renderer, foreign_pre_chain=processors
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    structlog.configure(
        processors=[*processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
