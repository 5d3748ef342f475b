"""No secret reaches a log line: not under a secret's key, not in a URL, not in a message or an
exception's text, whether structlog or the standard library logged it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from pydantic import SecretStr

from gateway.config import load_config
from gateway.logs import MASK, configure_logging
from gateway.sample.template import SAMPLE_CONFIG

FROM_ENV = "envSecret-4711-value"
FROM_FILE = "fileSecret-0815-value"


@pytest.fixture
def lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    configure_logging("DEBUG", json=True)
    yield stream
    configure_logging("WARNING")
    structlog.contextvars.clear_contextvars()


def logged(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_secrets_the_configuration_loaded_are_masked_everywhere(
    lines: io.StringIO, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CB_TEST_HOOK_TOKEN", FROM_ENV)
    (tmp_path / "smtp.pass").write_text(FROM_FILE + "\n", encoding="utf-8")
    text = SAMPLE_CONFIG + (
        "alerts:\n  webhook:\n    url: https://hooks.example.com/x\n"
        "    token: !env CB_TEST_HOOK_TOKEN\n"
        "  email:\n    host: smtp.example.com\n    username: cb\n"
        "    password: !secret_file smtp.pass\n    sender: cb@example.com\n"
        "    recipients: [it@example.com]\n"
    )
    (tmp_path / "claimbridge.yaml").write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "claimbridge.yaml", environ={})
    log = logging.getLogger("gateway.test")
    log.warning("sending with token %s", FROM_ENV)
    structlog.get_logger().warning(
        "smtp login", detail=f"user cb with {FROM_FILE}", config=config.model.alerts
    )
    try:
        raise ConnectionError(f"login refused for password {FROM_FILE}")
    except ConnectionError:
        log.exception("alert e-mail failed")
    output = lines.getvalue()
    assert FROM_ENV not in output and FROM_FILE not in output
    events = logged(lines)
    assert events[0]["event"] == f"sending with token {MASK}"
    assert events[1]["detail"] == f"user cb with {MASK}"
    assert "login refused for password " + MASK in str(events[2]["exception"])


def test_keys_that_name_a_secret_and_url_passwords_are_masked(lines: io.StringIO) -> None:
    log = structlog.get_logger()
    log.info(
        "connecting",
        password="plain-text-1",
        api_key="plain-text-2",
        headers={"Authorization": "Bearer plain-text-3", "Accept": "json"},
        url="postgresql+psycopg://claimbridge:plain-text-4@db.example.com/claimbridge",
        secret=SecretStr("plain-text-5"),
    )
    logging.getLogger("sqlalchemy.test").error(
        "cannot reach sftp://ftpuser:plain-text-6@files.example.com/in"
    )
    output = lines.getvalue()
    for n in range(1, 7):
        assert f"plain-text-{n}" not in output
    first, second = logged(lines)
    assert first["password"] == first["api_key"] == MASK
    assert first["headers"] == {"Authorization": MASK, "Accept": "json"}
    assert first["url"] == f"postgresql+psycopg://claimbridge:{MASK}@db.example.com/claimbridge"
    assert second["event"] == f"cannot reach sftp://ftpuser:{MASK}@files.example.com/in"


def test_correlation_ids_are_on_every_line_logged_meanwhile(lines: io.StringIO) -> None:
    with structlog.contextvars.bound_contextvars(run_id=7, job="daily-cycle"):
        logging.getLogger("gateway.pipeline.extract.snapshots").info("extracted a file")
        with structlog.contextvars.bound_contextvars(case="CB-0000001"):
            structlog.get_logger().info("case changed")
    logging.getLogger("gateway.x").info("after the run")
    inside, nested, after = logged(lines)
    assert (inside["run_id"], inside["job"]) == (7, "daily-cycle")
    assert (nested["run_id"], nested["case"]) == (7, "CB-0000001")
    assert "run_id" not in after and "case" not in after
