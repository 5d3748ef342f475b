"""A plain JSON-RPC client for looking into Tryton from the tests, independent of the
connector under test."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal
from typing import Any

import httpx


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        kind = value.get("__class__")
        if kind == "Decimal":
            return Decimal(value["decimal"])
        if kind == "date":
            return date(value["year"], value["month"], value["day"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class TrytonRpc:
    def __init__(self, url: str, login: str, password: str, company: int) -> None:
        self.url = url
        self.context = {"company": company}
        answer = httpx.post(
            url,
            json={
                "id": 1,
                "method": "common.db.login",
                "params": [login, {"password": password}, "en"],
            },
        ).json()
        user, session = answer["result"][:2]
        token = base64.b64encode(f"{login}:{user}:{session}".encode()).decode()
        self.headers = {"Authorization": f"Session {token}"}

    def call(self, method: str, *params: Any) -> Any:
        body = {"id": 1, "method": method, "params": [*params, self.context]}
        answer = httpx.post(self.url, json=body, headers=self.headers, timeout=30).json()
        if answer.get("error"):
            raise AssertionError(f"{method}: {answer['error']}")
        return _decode(answer["result"])

    def read(
        self, model: str, domain: list[Any], fields: list[str], **context: Any
    ) -> list[dict[str, Any]]:
        body = {
            "id": 1,
            "method": f"model.{model}.search_read",
            "params": [domain, 0, None, [["id", "ASC"]], fields, {**self.context, **context}],
        }
        answer = httpx.post(self.url, json=body, headers=self.headers, timeout=30).json()
        if answer.get("error"):
            raise AssertionError(f"{model}: {answer['error']}")
        return list(_decode(answer["result"]))

    def dunning(self, line: int) -> dict[str, Any]:
        (found,) = self.read(
            "account.dunning",
            [["line", "=", line]],
            ["id", "blocked", "state", "level.sequence"],
            active_test=False,
        )
        return found

    def notes(self, resource: str) -> list[str]:
        return [
            n["message"] for n in self.read("ir.note", [["resource", "=", resource]], ["message"])
        ]

    def invoice(self, invoice: int) -> dict[str, Any]:
        (found,) = self.read(
            "account.invoice", [["id", "=", invoice]], ["state", "amount_to_pay", "payment_lines"]
        )
        return found
