"""A few kills per stage of the loop, on the test database's kind (the full run, 20 kills
per stage on both databases, is `python -m tests.benchmarks.chaos`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_DATABASE_ENV

ROOT = Path(__file__).resolve().parents[2]


def test_kill_9_at_each_stage_ends_in_the_reference_end_state() -> None:
    url = os.environ.get(TEST_DATABASE_ENV, "")
    database = url if url.startswith("postgresql") else "sqlite"
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.chaos", "--kills-per-stage", "2",
         "--debtors", "6", "--batch-size", "10", "--database", database, "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    rows = json.loads(out.stdout)
    assert {r["stage"] for r in rows} == {
        "extract", "select", "handover", "updates", "writeback", "notices"
    }, out.stderr  # fmt: skip
    for row in rows:
        assert row["kills"] == 2, (row, out.stderr[-2000:])
        assert row["end_state_ok"] == row["kills"], row["failures"]
        assert (row["duplicates"], row["lost"]) == (0, 0), row["failures"]
    assert out.returncode == 0
