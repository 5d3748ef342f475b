"""The API application answers, with its OpenAPI description."""

from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.storage.database import Store
from tests.conftest import Workspace


def test_the_api_is_alive_and_describes_itself(workspace: Workspace, store: Store) -> None:
    client = TestClient(create_app(workspace.config(), store))
    assert client.get("/livez").json() == {"status": "ok"}
    assert client.get("/openapi.json").json()["info"]["title"] == "claimbridge"
