"""The simulated agency's own HTTP API: the receiving side of claimbridge's `rest-push`
channel and of its webhooks.

    GET  /                                     connection test
    POST /cases                                create a case       (Idempotency-Key required)
    POST /cases/{reference}/recall             a recall notice     (Idempotency-Key required)
    POST /cases/{reference}/direct-payments    a direct payment    (Idempotency-Key required)
    POST /webhooks                             claimbridge's signed webhooks (Standard Webhooks)

Authentication: `Authorization: Bearer <api key>` or Basic with the key as password (not on
/webhooks, which is authenticated by its signature). Run on its own:

    uvicorn --factory simulators.agency.app:app_from_environment --port 8090

with SIM_AGENCY_API_KEY and SIM_AGENCY_WEBHOOK_SECRET in the environment.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.webhook_signatures import WebhookVerificationError, verify
from simulators.agency.state import Answer, SimulatedAgency

__all__ = ["agency_app", "app_from_environment"]

_REQUIRED_CASE_FIELDS = ("reference", "currency", "debtor", "items", "handed_over")


def _authorised(agency: SimulatedAgency, request: Request) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    given = ""
    if scheme.lower() == "bearer":
        given = value.strip()
    elif scheme.lower() == "basic":
        try:
            given = base64.b64decode(value.strip()).decode("utf-8").partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return False
    return bool(given) and hmac.compare_digest(given.encode(), agency.api_key.encode())


def _reply(answer: Answer, replayed: bool) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"success": False, "message": message}, status_code=status)


def agency_app(agency: SimulatedAgency) -> FastAPI:
    """The HTTP app of `agency`."""
    app = FastAPI(title=f"Simulated collection agency {agency.name}", docs_url=None)

    async def guarded(request: Request) -> tuple[bytes, str] | JSONResponse:
        """Authentication, the Idempotency-Key, an injected outage; the raw body and key."""
        with agency.lock:
            agency.requests += 1
        if not _authorised(agency, request):
            return _error(401, "invalid API key")
        key = request.headers.get("idempotency-key", "")
        if not 1 <= len(key) <= 200:
            return _error(400, "the Idempotency-Key header is required (1 to 200 characters)")
        failure = agency.take_failure()
        if failure is not None:
            return _error(failure, "temporarily unavailable, try again later")
        return await request.body(), key

    def parse(body: bytes) -> dict[str, Any] | JSONResponse:
        try:
            document = json.loads(body)
        except ValueError:
            return _error(400, "the body is not JSON")
        if not isinstance(document, dict):
            return _error(400, "the body must be a JSON object")
        return document

    @app.get("/")
    def check(request: Request) -> JSONResponse:
        if not _authorised(agency, request):
            return _error(401, "invalid API key")
        return JSONResponse({"agency": agency.name, "status": "ok"})

    @app.post("/cases")
    async def create_case(request: Request) -> JSONResponse:
        guard = await guarded(request)
        if isinstance(guard, JSONResponse):
            return guard
        body, key = guard
        document = parse(body)
        if isinstance(document, JSONResponse):
            return document

        def work() -> tuple[int, dict[str, Any]]:
            missing = [f for f in _REQUIRED_CASE_FIELDS if f not in document]
            if missing:
                return 400, {"success": False, "message": f"missing fields: {missing}"}
            country = str(document["debtor"].get("country", ""))
            if country in agency.refuse_countries:
                refusal = {
                    "success": False,
                    "message": f"no collection for debtors in {country}",
                    "reference": document["reference"],
                }
                return (422 if agency.refusal_style == "http" else 200), refusal
            reference = str(document["reference"])
            known = agency.cases.get(reference)
            if known is None:
                known = {
                    **document,
                    "agency_case_id": f"{agency.name}-{len(agency.cases) + 1:06d}",
                    "received_at": datetime.now(UTC).isoformat(),
                }
                agency.cases[reference] = known
            return 201, {
                "success": True,
                "reference": reference,
                "agency_case_id": known["agency_case_id"],
            }

        return _reply(*agency.idempotent("cases", key, body, work))

    async def notice(request: Request, reference: str, kind: str) -> JSONResponse:
        guard = await guarded(request)
        if isinstance(guard, JSONResponse):
            return guard
        body, key = guard
        document = parse(body)
        if isinstance(document, JSONResponse):
            return document

        def work() -> tuple[int, dict[str, Any]]:
            case = agency.cases.get(reference)
            if case is None:
                return 404, {"success": False, "message": f"unknown case {reference}"}
            notice_id = str(document.get("notice_id") or key)
            agency.notices[notice_id] = {**document, "kind": kind, "case_reference": reference}
            if kind == "recall":
                case["recalled"] = True
            return 201, {"success": True, "notice_id": notice_id}

        return _reply(*agency.idempotent("notices", key, body, work))

    @app.post("/cases/{reference}/recall")
    async def recall(request: Request, reference: str) -> JSONResponse:
        return await notice(request, reference, "recall")

    @app.post("/cases/{reference}/direct-payments")
    async def direct_payment(request: Request, reference: str) -> JSONResponse:
        return await notice(request, reference, "direct_payment")

    @app.post("/webhooks")
    async def webhook(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            message_id = verify(agency.webhook_secrets, request.headers, body)
        except WebhookVerificationError as exc:
            with agency.lock:
                agency.webhooks_refused += 1
            return _error(401, f"webhook refused: {exc}")
        with agency.lock:
            agency.webhooks.setdefault(message_id, json.loads(body))
        return JSONResponse({"received": message_id})

    return app


def app_from_environment() -> FastAPI:
    """The app for `uvicorn --factory`: the key and the webhook secret from the environment."""
    secret = os.environ.get("SIM_AGENCY_WEBHOOK_SECRET", "")
    agency = SimulatedAgency(
        name=os.environ.get("SIM_AGENCY_NAME", "SIM"),
        api_key=os.environ.get("SIM_AGENCY_API_KEY", "sim-agency-key"),
        webhook_secrets=(secret,) if secret else (),
    )
    return agency_app(agency)
