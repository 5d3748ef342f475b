"""Delivery files, exactly once from the partner's point of view, and no litter.

A delivery file (ERP write-back, notices to an agency) is named after its batch
(`DeliveryBatch`): a relay that died after publishing it and before recording it sends the same
batch again, under the same name. Publishing is atomic (a hidden partial file renamed at the
end), so a file found under that name is the whole earlier delivery: it is not written again.
A partner that had already taken the file away meets the same name again, and each line its
action or notice id; both are the partner's means to skip what it has already imported.

A process killed while uploading leaves its hidden partial file (`.NAME.part`, locally
`.NAME.<random>.part`). Partial files of this connector's own file names (its template with
every `{...}` as a wildcard) that are older than `stale_after` are removed before the next
upload to that folder; another program's partial files, and fresh ones (an upload under way),
are left alone.
"""

from __future__ import annotations

import fnmatch
import re
import time

from connectors.base import DeliveryBatch
from connectors.files.protocol import FileTransport, RemoteEntry

__all__ = ["already_published", "sweep_note", "sweep_partials", "template_glob"]

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_RANDOM_PART = re.compile(r"\.[0-9a-f]{8}$")


def template_glob(template: str) -> str:
    """`writeback_{timestamp}_{batch}.csv` → `writeback_*_*.csv`."""
    return _PLACEHOLDER.sub("*", template)


def already_published(
    transport: FileTransport, folder: str, name: str, batch: DeliveryBatch | None
) -> RemoteEntry | None:
    """The file of an earlier attempt at the same batch, if it is there."""
    if batch is None or batch.attempt <= 1:
        return None
    return transport.stat(folder, name)


def _final_name(partial: str) -> str:
    name = partial[1 : -len(".part")]
    return _RANDOM_PART.sub("", name)


def sweep_partials(
    transport: FileTransport,
    folder: str,
    templates: tuple[str, ...],
    stale_after: float,
    now: float | None = None,
) -> list[str]:
    """Remove this connector's stale partial files in `folder`; returns their names."""
    globs = [template_glob(t) for t in templates]
    moment = time.time() if now is None else now
    removed = []
    for entry in transport.partials(folder):
        final = _final_name(entry.name)
        if not any(fnmatch.fnmatchcase(final, g) for g in globs):
            continue
        if moment - entry.mtime < stale_after:
            continue
        transport.remove(folder, entry.name)
        removed.append(entry.name)
    return removed


def sweep_note(removed: list[str]) -> tuple[str, ...]:
    """The transfer log's words for what `sweep_partials` removed."""
    if not removed:
        return ()
    shown = ", ".join(removed[:5]) + (", ..." if len(removed) > 5 else "")
    return (f"removed {len(removed)} stale partial file(s) left by an interrupted upload: {shown}",)
