"""Manifests: a small JSON file beside a data file with its hash and control totals.

    {"file": "handover_B1.csv", "sha256": "…", "records": 12, "cases": 5,
     "totals": {"EUR": "12345.67"}, "created_at": "2026-11-22T10:00:00Z"}

A manifest is published after its data file, so its presence means the data file is complete.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.base import ControlTotals, FormatError

__all__ = ["MANIFEST_SUFFIX", "manifest_bytes", "parse_manifest"]

MANIFEST_SUFFIX = ".manifest.json"


def manifest_bytes(
    file: str,
    sha256: str,
    records: int,
    totals: Mapping[str, Decimal],
    created_at: str,
    **extra: Any,
) -> bytes:
    body = {
        "file": file,
        "sha256": sha256,
        "records": records,
        **extra,
        "totals": {currency: format(amount, "f") for currency, amount in sorted(totals.items())},
        "created_at": created_at,
    }
    return json.dumps(body, indent=2).encode("utf-8") + b"\n"


def parse_manifest(raw: bytes, label: str, sha256: str) -> ControlTotals:
    """Read a manifest and check it against the data file's hash.

    Raises:
        FormatError: the manifest is unreadable, names another file content, or its totals
            are not amounts.
    """
    try:
        body = json.loads(raw.decode("utf-8"))
        records = int(body["records"])
        totals = {str(k): Decimal(str(v)) for k, v in (body.get("totals") or {}).items()}
    except (ValueError, KeyError, TypeError, InvalidOperation, UnicodeDecodeError) as exc:
        raise FormatError(f"{label}{MANIFEST_SUFFIX}: not a valid manifest ({exc})") from None
    stated = body.get("sha256")
    if stated and stated != sha256:
        raise FormatError(
            f"{label}: content does not match its manifest (sha256 {sha256[:12]}…, "
            f"manifest says {str(stated)[:12]}…)"
        )
    return ControlTotals(records, totals)
