"""/metrics is open by default, and needs a bearer token once `security.metrics_token` is set
(on `serve`'s application and on a worker's small one alike); the token is never logged."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.api.ops_app import create_ops_app
from gateway.cli import main
from gateway.config import ConfigError, load_config
from gateway.storage.database import Store
from tests.conftest import Workspace

TOKEN = "m3tr1cs-t0ken-0f-the-scraper-4c7f"


@pytest.fixture(autouse=True)
def metrics_token_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)  # what `!env METRICS_TOKEN` reads


def with_metrics_token(workspace: Workspace, value: str = "!env METRICS_TOKEN") -> None:
    text = workspace.config_path.read_text()
    workspace.config_path.write_text(f"{text}\nsecurity:\n  metrics_token: {value}\n")


def apps(workspace: Workspace, store: Store) -> list[FastAPI]:
    config = load_config(
        workspace.config_path,
        environ={"CLAIMBRIDGE_DATABASE_URL": workspace.database_url},
    )
    return [create_app(config, store), create_ops_app(config, store)]


def test_metrics_are_open_when_no_token_is_configured(workspace: Workspace, store: Store) -> None:
    for app in apps(workspace, store):
        answer = TestClient(app).get("/metrics")
        assert answer.status_code == 200
        assert "claimbridge_store_up 1.0" in answer.text


def test_a_configured_token_is_needed_and_never_logged(
    workspace: Workspace, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with_metrics_token(workspace)
    caplog.set_level(logging.DEBUG)
    for app in apps(workspace, store):
        client = TestClient(app)
        refused = {
            "none": client.get("/metrics"),
            "wrong": client.get("/metrics", headers={"Authorization": "Bearer not-it"}),
            "prefix": client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN[:-1]}"}),
            "scheme": client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}),
            "non-ascii": client.get(
                "/metrics", headers={"Authorization": "Bearer é".encode("latin-1")}
            ),
        }
        for how, answer in refused.items():
            assert answer.status_code == 401, how
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
            assert "security.metrics_token" in answer.json()["detail"]
            assert "claimbridge_" not in answer.text
        admitted = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert admitted.status_code == 200 and "claimbridge_store_up 1.0" in admitted.text
        assert client.get("/livez").status_code == 200  # the probes stay open
    assert "/metrics refused" in caplog.text
    assert TOKEN not in caplog.text and TOKEN[:-1] not in caplog.text


def test_the_metrics_token_is_never_written_in_the_file(workspace: Workspace) -> None:
    with_metrics_token(workspace, TOKEN)
    with pytest.raises(ConfigError) as refused:
        load_config(workspace.config_path, environ={})
    assert "security.metrics_token" in str(refused.value)
    assert "!env" in str(refused.value) and TOKEN not in str(refused.value)


def test_config_check_says_whether_metrics_need_a_token(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMBRIDGE_DATABASE_URL", workspace.database_url)

    def check() -> str:
        result = CliRunner().invoke(main, ["-c", str(workspace.config_path), "config", "check"])
        assert result.exit_code == 0, result.output
        return result.output

    assert "security: /metrics is open (no metrics_token)" in check()
    with_metrics_token(workspace)
    checked = check()
    assert "security: /metrics needs the metrics token" in checked
    assert "10 per user name and 50 per address in 900 s" in checked
    assert TOKEN not in checked
