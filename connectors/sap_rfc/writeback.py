"""ERP write-back into SAP over RFC: the `sap-rfc` write-back.

Each action kind is applied by the function the write-back mapping's `calls` name for it, with
the parameters the mapping fills from the action (see mappings/presets/sap-writeback-rfc.yaml:
a customer Z-function for the dunning block and notes, BAPI_ACC_DOCUMENT_POST for a payment).
A call with `commit: true` is followed, on the same connection, by BAPI_TRANSACTION_COMMIT
(WAIT = 'X') when its RETURN holds no error, and by BAPI_TRANSACTION_ROLLBACK when it does: each
action is its own unit of work. An action fails when the RETURN (or the commit's) has a message
of type E or A: finally, unless its ID/NUMBER is one of `retriable_messages` (a lock held by
another user: retried later). Later actions on the same item in the same delivery are then not
applied but reported failed and retriable, so that one item's actions keep their order.

If SAP cannot be reached (or the logon fails, or a call times out) before anything was
applied, `apply` raises ConnectionFailed and the relay retries the whole delivery; after some
actions were applied, the others are reported failed and retriable. Delivery is at least once:
a connection lost during a commit leaves unknown whether it was applied, so the action is
retried; the Z-functions skip an action id they applied before, BAPI_ACC_DOCUMENT_POST does
not (see docs/sap.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.base import (
    CheckResult,
    ConfigurationError,
    ConnectorContext,
    Delivery,
    DeliveryBatch,
    FatalError,
    RetriableError,
    WriteBackResult,
)
from connectors.sap_rfc.check import connection_checks, function_checks
from connectors.sap_rfc.client import open_client, rfc_client_missing
from connectors.sap_rfc.options import SapRfcWriteBackOptions
from connectors.sap_rfc.returns import failures
from connectors.sap_rfc.sdk import pyrfc_missing
from connectors.sap_rfc.session import RfcSession
from gateway.domain.actions import WriteBackAction
from gateway.domain.items import ItemKey
from mappings import CompiledCall, RecordError
from mappings.canonical import action_record

__all__ = ["COMMIT", "ROLLBACK", "SapRfcWriteBack"]

COMMIT = "BAPI_TRANSACTION_COMMIT"
ROLLBACK = "BAPI_TRANSACTION_ROLLBACK"


class _ActionFailed(Exception):
    def __init__(self, reason: str, retriable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retriable = retriable


class SapRfcWriteBack:
    """The `sap-rfc` write-back (see the module's documentation)."""

    Options = SapRfcWriteBackOptions

    @staticmethod
    def variants() -> list[tuple[str, str]]:
        """The RFC clients, and why one cannot be used here ('' if it can)."""
        return [
            ("client: pyrfc", pyrfc_missing()),
            ("client: simulator", rfc_client_missing("simulator")),
        ]

    def __init__(self, options: SapRfcWriteBackOptions, context: ConnectorContext) -> None:
        self.name = context.name
        mapping = context.mappings.get("writeback")
        if mapping is None or not mapping.calls:
            raise ConfigurationError(
                f"source {context.name}: the sap-rfc write-back needs a writeback mapping with "
                "`calls` (e.g. preset:sap-writeback-rfc)"
            )
        self._mapping = mapping
        self._options = options
        self._retriable = frozenset(options.retriable_messages)
        self.session = RfcSession(open_client(options, context.base_dir))
        connection = options.connection
        host = (connection.ashost or connection.mshost) if connection else "simulator"
        self._location = f"rfc:{host}"

    def apply(
        self, actions: Sequence[WriteBackAction], batch: DeliveryBatch | None = None
    ) -> WriteBackResult:
        """Apply `actions` one by one (see the module docstring); an action applied before is
        skipped by the function (its I_ACTION_ID), the batch's identity is not needed."""
        failed: dict[str, tuple[str, bool]] = {}
        blocked: dict[ItemKey, str] = {}
        applied = 0
        for index, action in enumerate(actions):
            earlier = blocked.get(action.item)
            if earlier is not None:
                failed[action.action_id] = (
                    f"not applied: an earlier action on this item failed ({earlier})",
                    True,
                )
                continue
            try:
                self._apply(action)
            except _ActionFailed as exc:
                failed[action.action_id] = (exc.reason, exc.retriable)
                blocked[action.item] = exc.reason
                continue
            except FatalError as exc:  # a function or parameter SAP does not have, a dump
                failed[action.action_id] = (str(exc), False)
                blocked[action.item] = str(exc)
                continue
            except RetriableError as exc:
                if applied == 0 and not failed:
                    raise
                for rest in actions[index:]:
                    failed.setdefault(rest.action_id, (str(exc), True))
                break
            applied += 1
        return WriteBackResult(Delivery("rfc", self._location, applied), failed)

    def _apply(self, action: WriteBackAction) -> None:
        call = self._mapping.calls.get(action.kind.value)
        if call is None:
            raise _ActionFailed(
                f"write-back mapping {self._mapping.name!r} has no call for {action.kind.value}",
                False,
            )
        try:
            params = call.parameters(action_record(action))
        except RecordError as exc:
            raise _ActionFailed(
                f"write-back mapping {self._mapping.name!r} cannot fill {call.function}: {exc}",
                False,
            ) from None
        result = self.session.call(call.function, **params)
        self._check(
            call,
            call.function,
            result.get(call.return_parameter) if call.return_parameter else None,
        )
        if call.commit:
            committed = self.session.call(COMMIT, WAIT="X")
            self._check(
                call, f"{COMMIT} after {call.function}", committed.get("RETURN"), committing=True
            )

    def _check(
        self, call: CompiledCall, what: str, returned: Any, committing: bool = False
    ) -> None:
        errors = failures(returned)
        if not errors:
            return
        if call.commit:
            self.session.call(ROLLBACK)
        retriable = not committing and any(m.key in self._retriable for m in errors)
        raise _ActionFailed(f"{what}: " + "; ".join(m.describe() for m in errors), retriable)

    def check(self) -> list[CheckResult]:
        results = connection_checks(self.session)
        if not all(r.ok for r in results):
            return results
        functions: dict[str, list[str]] = {}
        for call in self._mapping.calls.values():
            names = functions.setdefault(call.function, [])
            names += [n for n in call.parameter_names if n not in names]
            if call.commit:
                functions.setdefault(COMMIT, ["WAIT"])
                functions.setdefault(ROLLBACK, [])
        return results + function_checks(self.session, functions)

    def close(self) -> None:
        self.session.close()
