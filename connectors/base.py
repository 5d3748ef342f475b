"""What a connector is: the protocols between the gateway and the ERPs and agencies.

Connectors move records; mappings translate them; the gateway decides. A connector never
imports the pipeline, the storage or the API.

    ERP side:    Source.snapshots(as_of) -> Snapshot..., each streaming RawRecords
                 (a snapshot, not a bare record stream, because a file is processed at most
                 once and an extraction is a full picture of its company codes: the gateway
                 must know where one ends)
                 WriteBack.apply(actions) -> WriteBackResult
    agency side: AgencyChannel.submit(batch), .send_notices(notices), .fetch_updates()
    both:        check() -> [CheckResult]   (a connection test for `claimbridge check`)
    optional:    SetAside.requeue(label) puts a refused inbound file back (a transfer retry)

Errors (a connector raises these; anything else is a bug and is reported as such):

    ConnectorError
    ├── RetriableError          try again later: network down, timeout, server busy
    │   ├── ConnectionFailed
    │   └── Unavailable         a folder or service that cannot be used now (a share not
    │                           mounted, a permission, a full disk): a transport fault
    └── FatalError              retrying will not help until someone changes something
        ├── AuthenticationFailed
        ├── ConfigurationError  a folder, a function, an endpoint does not exist
        ├── FormatError         a whole file or response is not in the expected format
        └── RemoteRejected      the partner refused (an ERP or agency business error)

A bad *record* is not an exception of the connector: the pipeline maps each record and
quarantines those that fail, with their position (`RawRecord.position`). A source that queries
per debtor and fails for one debtor says so with a problem record that covers the whole debtor
(`RawRecord.whole_debtor`): that debtor's stored items are kept as they are, not cleared. A
source that can also tell which items were cleared (SAP's balanced items) streams them as
records with a `Clearing`: the gateway then clears those items with the ERP's own clearing date
instead of waiting to notice their absence.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, Protocol, runtime_checkable

from pydantic import BaseModel

from gateway.domain.actions import WriteBackAction
from gateway.domain.handover import AgencyNotice, HandoverBatch
from mappings import CompiledMapping

__all__ = [
    "AgencyChannel",
    "AuthenticationFailed",
    "CheckResult",
    "Clearing",
    "ConfigurationError",
    "ConnectionFailed",
    "ConnectorContext",
    "ConnectorError",
    "ControlTotals",
    "Delivery",
    "DeliveryBatch",
    "FatalError",
    "FormatError",
    "Outcome",
    "RawRecord",
    "RecordStream",
    "RemoteRejected",
    "RetriableError",
    "SetAside",
    "Snapshot",
    "Source",
    "Unavailable",
    "WriteBack",
    "WriteBackResult",
]


# --- errors --------------------------------------------------------------------------------


class ConnectorError(Exception):
    """Base of connector errors. Messages must never contain secrets."""

    retriable: ClassVar[bool] = False


class RetriableError(ConnectorError):
    retriable = True


class ConnectionFailed(RetriableError):
    """The partner could not be reached (refused, timed out, dropped)."""


class Unavailable(RetriableError):
    """A folder or service of the partner cannot be used now; deliveries wait and retry."""


class FatalError(ConnectorError):
    retriable = False


class AuthenticationFailed(FatalError):
    """The partner refused our credentials or we refused its identity (host key)."""


class ConfigurationError(FatalError):
    """Something the configuration names does not exist or is not allowed."""


class FormatError(FatalError):
    """A whole file or response is unusable (header missing columns, wrong encoding...)."""


class RemoteRejected(FatalError):
    """The partner answered with a business error."""


# --- values --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clearing:
    """The ERP's word that an item was cleared (paid, or settled against a credit): on which
    date, and by which clearing document."""

    on: date
    document: str = ""


class RawRecord(NamedTuple):
    """One record as the source delivered it (a named tuple: one is made per line of an
    export, so it must be cheap).

    `position` locates it for error messages: the line number in a file, or a record id.
    `values` is a sequence aligned with `Snapshot.columns` (CSV), or a mapping (RFC, JSON).
    `problem` is set when the connector already knows the record is unusable (a CSV line with
    the wrong number of fields); the gateway quarantines it with that reason.
    `whole_debtor` (with `problem`): the record stands for every item of its debtor in its
    company code, which could not be read; `values` need only name the debtor and company
    code. The gateway keeps that debtor's stored items as they are.
    `clearing`: the record is not an open item but one the ERP reports cleared; only its key
    is read. The gateway clears the stored item (if it is open) with that date.
    """

    position: int | str
    values: Sequence[Any] | Mapping[str, Any]
    problem: str = ""
    whole_debtor: bool = False
    clearing: Clearing | None = None


@dataclass(frozen=True, slots=True)
class ControlTotals:
    """What the sender says a file holds (a manifest, a trailer): the receiver checks it.
    `amounts` are per currency, over the records' `amount` field."""

    records: int
    amounts: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordStream:
    """The records of a snapshot, streamed. `columns` names the positions when records come
    as sequences (CSV); it is None when they come as mappings. `control` is set when the
    sender stated control totals; the gateway refuses the snapshot if they do not match."""

    columns: Sequence[str] | None
    records: Iterator[RawRecord]
    control: ControlTotals | None = None


class Outcome(enum.StrEnum):
    """How the gateway took a snapshot; the source archives or sets aside accordingly."""

    PROCESSED = "processed"
    DUPLICATE = "duplicate"  # seen before (same content): archived, nothing done
    REJECTED = "rejected"  # the whole snapshot was refused: moved to the error folder
    RETRY = "retry"  # failed for a passing reason: leave it where it is


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a connector reports about one movement it made, for the transfer log."""

    channel: str
    location: str
    records: int
    bytes: int | None = None
    sha256: str | None = None
    # What else the transfer log should say (stale partial files removed, a file that was
    # there already).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeliveryBatch:
    """The identity of one outgoing delivery (write-back actions, notices), the same each
    time the same batch is sent: a relay that died after sending and before recording it
    sends it again under this identity. `key` is unique per destination and goes into file
    names and request keys; `created_at` is when the batch was first claimed (a file name's
    timestamp); `attempt` above 1 means it may have reached the partner already."""

    key: str
    created_at: datetime
    attempt: int = 1

    @property
    def timestamp(self) -> str:
        """`created_at` as file names show it (UTC, to the microsecond)."""
        return self.created_at.strftime("%Y%m%dT%H%M%S%fZ")


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of a connection test: what was checked, whether it works, and if not, why in
    words an integrator can act on."""

    what: str
    ok: bool
    detail: str = ""


@dataclass(slots=True)
class WriteBackResult:
    """The outcome of `WriteBack.apply`: which actions were applied, which failed and why.

    `failed` maps an action id to (reason, retriable). Actions not in `failed` were applied.
    """

    delivery: Delivery | None
    failed: dict[str, tuple[str, bool]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConnectorContext:
    """What a connector is given besides its options: where relative paths start, and the
    compiled mappings its configuration names (by role: 'open_items', 'writeback',
    'handover', 'agency_events', 'notices')."""

    name: str
    base_dir: Path
    mappings: Mapping[str, CompiledMapping] = field(default_factory=dict)


# --- protocols -----------------------------------------------------------------------------


@runtime_checkable
class Snapshot(Protocol):
    """One unit of extraction: a file, or one run of API calls. It streams its records."""

    @property
    def label(self) -> str:
        """The file name or endpoint, as the transfer log shows it."""

    @property
    def channel(self) -> str:
        """'local', 'sftp', 'rfc', 'rest'..."""

    @property
    def sha256(self) -> str | None:
        """The content hash when it is known before reading (files): a snapshot with a hash
        already processed is skipped, so that a file is processed at most once."""

    @property
    def size(self) -> int | None: ...

    @property
    def company_codes(self) -> Sequence[str] | None:
        """Company codes this snapshot covers in full even if it has no record of them
        (e.g. a query per company code); None: those of its records."""

    def open(self) -> RecordStream:
        """Start reading. Raises FormatError if the whole snapshot is unusable (also while
        iterating: an encoding error in the middle of a file)."""

    def settle(self, outcome: Outcome, reason: str = "") -> None:
        """Archive, set aside or leave the snapshot once the gateway has committed."""


class Source(Protocol):
    """An ERP's open items."""

    Options: ClassVar[type[BaseModel]]

    def snapshots(self, as_of: date) -> Iterator[Snapshot]:
        """The snapshots waiting to be read; each is a full picture of its company codes."""

    def check(self) -> list[CheckResult]: ...


class WriteBack(Protocol):
    """Applies actions to the ERP."""

    Options: ClassVar[type[BaseModel]]

    def apply(
        self, actions: Sequence[WriteBackAction], batch: DeliveryBatch | None = None
    ) -> WriteBackResult:
        """Apply `actions` in order. Actions on the same item are given in the order they
        must be applied. Raises RetriableError / FatalError if nothing could be applied.

        Exactly once from the ERP's point of view: the same `batch` is delivered under the
        same identity (a file of the same name), and an action already applied (found by its
        `action_id`) is not applied again. Each connector documents how it finds it."""

    def check(self) -> list[CheckResult]: ...


class AgencyChannel(Protocol):
    """Moves cases and notices to an agency, and its updates back (file and pull channels)."""

    Options: ClassVar[type[BaseModel]]

    def submit(self, batch: HandoverBatch) -> Delivery:
        """Deliver a handover batch, atomically. Delivering the same batch twice must be
        harmless (same reference, same file name)."""

    def send_notices(
        self, notices: Sequence[AgencyNotice], batch: DeliveryBatch | None = None
    ) -> Delivery:
        """Deliver recall and direct-payment notices; the same `batch` again under the same
        identity (file name), each notice with its `notice_id` for the agency to
        deduplicate on."""

    def fetch_updates(self) -> Iterator[Snapshot]:
        """Updates waiting at the agency (status and payment files, pulled pages)."""

    def check(self) -> list[CheckResult]: ...


@runtime_checkable
class SetAside(Protocol):
    """A source or channel that sets refused inbound files aside and can put them back.

    `requeue` moves the file a snapshot labelled `label` came from out of the place refused
    files go (an error folder) back to where the next run picks files up, and returns the
    name it has there. `sha256`, when known, picks the right file among several of the same
    name.

    Raises:
        FileNotFoundError: no such file was set aside.
    """

    def requeue(self, label: str, sha256: str | None = None) -> str: ...
