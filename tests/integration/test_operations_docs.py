"""docs/operations.md stays true: every metric and every alert condition is described."""

from __future__ import annotations

from pathlib import Path

from gateway.ops.alerts.conditions import __doc__ as conditions_doc
from gateway.ops.metrics import PROCESS_REGISTRY, StoreCollector
from gateway.storage.database import Store

DOC = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")


def test_every_metric_is_documented(store: Store) -> None:
    ours = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in PROCESS_REGISTRY.collect()
        if family.name.startswith("claimbridge_")
    }
    ours |= {family.name for family in StoreCollector(store).collect()}
    assert len(ours) > 15
    missing = sorted(name for name in ours if f"`{name}`" not in DOC)
    assert missing == []


def test_every_alert_condition_is_documented() -> None:
    assert conditions_doc is not None
    kinds = {
        line.split(":")[0].strip()
        for line in conditions_doc.splitlines()
        if line.startswith("    ") and ":" in line and line.strip().split(":")[0].islower()
    }
    assert kinds == {
        "transfer_failed",
        "dead_letters",
        "job_missed",
        "job_failed",
        "partner_silent",
        "snapshot_held",
    }
    assert all(f"`{kind}:" in DOC for kind in kinds)
