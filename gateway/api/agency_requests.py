"""Every agency API request is one transfer in the transfer log (inbound, channel `api`,
partner = the agency), written in the request's own unit of work: one row, no extra
transaction."""

from __future__ import annotations

import hashlib

from fastapi import Request, Response
from sqlalchemy.orm import Session

from gateway.api.agency_auth import AgencyClient
from gateway.api.idempotency import Produce, RequestTarget, run_idempotent
from gateway.storage.repositories.transfers import TransferLog

__all__ = ["KIND", "RequestTransfer"]

KIND = "agency_api"
CHANNEL = "api"


class RequestTransfer:
    """The transfer of one request: started when the endpoint begins, finished before its
    unit of work commits."""

    def __init__(self, session: Session, client: AgencyClient, request: Request) -> None:
        self._session, self._client = session, client
        self._target = RequestTarget.of(request)
        self._log = TransferLog(session)
        self.row = self._log.start(
            direction="inbound",
            kind=KIND,
            channel=CHANNEL,
            partner=client.agency,
            location=f"{request.method} {request.url.path}",
        )

    @property
    def id(self) -> int:
        return self.row.id

    def finish(
        self,
        *,
        records: int = 0,
        rejected: int = 0,
        body: bytes | None = None,
        summary: str = "",
        status: str | None = None,
    ) -> None:
        self._log.finish(
            self.row.id,
            status=status or ("partial" if rejected else "ok"),
            records=records,
            rejected=rejected,
            bytes_=len(body) if body else None,
            sha256=hashlib.sha256(body).hexdigest() if body else None,
            summary=summary,
        )

    def replayed(self) -> None:
        """The request repeated an earlier one (same Idempotency-Key and request): its first
        answer was sent again and nothing was applied."""
        self._log.finish(
            self.row.id,
            status="skipped",
            records=0,
            summary="a repeated request: the answer to its Idempotency-Key was replayed",
        )

    def answer(self, key: str | None, body: bytes, produce: Produce) -> Response:
        """Run the request's `produce` once per Idempotency-Key of the calling agency; a
        repeated request gets the first answer and its transfer is logged as skipped."""
        return run_idempotent(
            self._session,
            client=self._client.client,
            key=key,
            target=self._target,
            body=body,
            produce=produce,
            on_replay=self.replayed,
        )
