"""A workspace whose agency `acme` pulls over the REST API (channel `api`), a second API
agency `other` (for scoping), keys for both, and a client that signs and sets
Idempotency-Key like an agency's integration would."""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.api.agency_auth import sign
from gateway.pipeline import Step, run_cycle
from gateway.storage.database import Store
from gateway.storage.models import utcnow
from gateway.storage.repositories.agency_keys import AgencyKeys
from tests.conftest import Workspace

SIGNING_ENV = "ACME_SIGNING_SECRET"
SIGNING_SECRET = "whsec-test-7f3a9c2e"


def api_agencies(workspace: Workspace, acme_api: str = "", other_api: str = "") -> None:
    """Make `acme` an API agency (with `acme_api` as its `api:` section, YAML lines indented
    by 4) and add the API agency `other`."""
    text = workspace.config_path.read_text(encoding="utf-8")
    block = (
        "agencies:\n"
        "  acme:\n"
        "    display_name: ACME Inkasso GmbH\n"
        "    channel: api\n" + (f"    api:\n{acme_api}" if acme_api else "") + "  other:\n"
        "    channel: api\n" + (f"    api:\n{other_api}" if other_api else "") + "\n"
    )
    text = re.sub(r"agencies:\n.*?\n(?=policies:)", lambda _: block, text, flags=re.DOTALL)
    workspace.config_path.write_text(text, encoding="utf-8")


def handed_over(workspace: Workspace, store: Store) -> None:
    """Extract, select and hand over the sample's cases to `acme` (no file: it pulls)."""
    run_cycle(workspace.context(store), (Step.EXTRACT, Step.SELECT, Step.HANDOVER))


def issue_key(store: Store, agency: str, scopes: tuple[str, ...] = ()) -> str:
    with store.unit_of_work() as session:
        return AgencyKeys(session).issue(agency, scopes, utcnow()).token


@dataclass
class AgencyClient:
    """An agency calling the API through a TestClient."""

    http: TestClient
    key: str
    signing_secret: str | None = None

    def headers(
        self, method: str, target: str, body: bytes = b"", key: str | None = None
    ) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        if self.signing_secret:
            headers["X-Signature"] = sign(
                self.signing_secret, int(time.time()), method, target, body
            )
        return headers

    def get(self, path: str, **params: Any) -> Any:
        target = f"/v1/agency{path}" + (f"?{urlencode(params)}" if params else "")
        return self.http.get(target, headers=self.headers("GET", target))

    def post(self, path: str, payload: Any, key: str | None = "auto") -> Any:
        body = json.dumps(payload).encode()
        idem = uuid.uuid4().hex if key == "auto" else key
        target = f"/v1/agency{path}"
        return self.http.post(
            target, content=body, headers=self.headers("POST", target, body, idem)
        )


def agency_client(
    workspace: Workspace, store: Store, agency: str = "acme", key: str | None = None
) -> AgencyClient:
    app = create_app(workspace.config(), store)
    return AgencyClient(TestClient(app), key or issue_key(store, agency))
