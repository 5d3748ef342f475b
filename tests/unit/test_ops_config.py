"""Schedules, alerts and retention in the configuration: defaults, durations, secrets, and
problems named by line and key."""

from datetime import timedelta
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.config.durations import parse_duration
from gateway.sample.template import SAMPLE_CONFIG
from tests.unit.test_config import problems, write

OPS = """
alerts:
  check_every: 30s
  webhook:
    url: https://hooks.example.com/claimbridge
    token: !env HOOK_TOKEN
  email:
    host: smtp.example.com
    username: claimbridge
    password: !env SMTP_PASSWORD
    sender: claimbridge@example.com
    recipients: [it@example.com, ops@example.com]
  silence:
    - partner: erp
      direction: inbound
      after: 26h
    - partner: acme
      direction: inbound
      after: 7d
retention:
  transfers: 400d
  personal_data: 730d
"""


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("5m", 300), ("2h", 7200), ("1.5h", 5400), ("400d", 400 * 86400), (45, 45)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["5", "5 minutes", "-3s", "0s", "", True])
def test_what_is_not_a_duration(text: object) -> None:
    with pytest.raises(ValueError, match=r"duration"):
        parse_duration(text)


def test_operations_sections_load_with_their_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_TOKEN", "t0ken-value")
    monkeypatch.setenv("SMTP_PASSWORD", "smtp-value")
    config = load_config(write(tmp_path, SAMPLE_CONFIG + OPS), environ={}).model
    schedule = config.schedules["daily-cycle"]
    assert (schedule.misfire_grace, schedule.lease) == (timedelta(minutes=5), timedelta(minutes=2))
    assert config.alerts.check_every == timedelta(seconds=30)
    assert config.alerts.email is not None and config.alerts.email.port == 587
    assert config.alerts.email.security == "starttls"
    password = config.alerts.email.password
    assert password is not None and password.get_secret_value() == "smtp-value"
    assert "smtp-value" not in repr(config.alerts) and "t0ken-value" not in repr(config.alerts)
    assert [r.after for r in config.alerts.silence] == [timedelta(hours=26), timedelta(days=7)]
    assert config.retention.personal_data == timedelta(days=730)
    assert config.retention.quarantined_records == timedelta(days=90)


def test_without_operations_sections_nothing_alerts_and_personal_data_stays(
    tmp_path: Path,
) -> None:
    config = load_config(write(tmp_path, SAMPLE_CONFIG), environ={}).model
    assert config.alerts.webhook is None and config.alerts.email is None
    assert config.retention.personal_data is None
    assert config.retention.transfers == timedelta(days=400)


def test_a_password_written_in_the_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_TOKEN", "t0ken-value")
    text = SAMPLE_CONFIG + OPS.replace("password: !env SMTP_PASSWORD", "password: hunter22")
    found = {key: message for _, key, message in problems(write(tmp_path, text))}
    assert "must not be written in the configuration file" in found["alerts.email.password"]
    assert "hunter22" not in str(found)


def test_problems_of_the_operations_sections_name_line_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_TOKEN", "x" * 8)
    monkeypatch.setenv("SMTP_PASSWORD", "y" * 8)
    text = SAMPLE_CONFIG.replace(
        "    timezone: Europe/Berlin",
        "    timezone: Europe/Berlin\n    lease: 2 minutes\n"
        "  erp-only:\n    job: extract\n    cron: '0 5 * * *'\n    target: acme",
    ) + OPS.replace("partner: acme", "partner: acme2").replace("after: 26h", "after: soon").replace(
        "it@example.com,", "it-at-example,"
    )
    path = write(tmp_path, text)
    found = {key: (line, message) for line, key, message in problems(path)}
    lines = text.splitlines()

    def at(key: str, needle: str) -> str:
        line, message = found[key]
        assert line is not None and needle in lines[line - 1], (key, line)
        return message

    assert "not a duration" in at("schedules.daily-cycle.lease", "lease:")
    assert "not a duration" in at("alerts.silence[0].after", "after: soon")
    assert "not e-mail addresses" in at("alerts.email.recipients", "recipients")
    assert (
        at("schedules.erp-only.target", "target: acme")
        == "'acme' is not a configured source: extract jobs take a source"
    )
    assert "neither a source nor an agency" in at("alerts.silence[1].partner", "acme2")


def test_a_purge_job_takes_no_target(tmp_path: Path) -> None:
    text = SAMPLE_CONFIG.replace("job: cycle", "job: purge").replace(
        "    timezone: Europe/Berlin", "    timezone: Europe/Berlin\n    target: erp"
    )
    found = {key: message for _, key, message in problems(write(tmp_path, text))}
    assert found["schedules.daily-cycle.target"] == "a purge job takes no target"
