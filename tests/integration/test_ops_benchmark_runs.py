"""The operations benchmark stays runnable (its figures are measured, not asserted)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_operations_benchmark_prints_its_figures_as_json() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.ops",
            *("--claims", "20", "--rows", "300", "--json", "--repeat", "1"),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    figures = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [f["name"] for f in figures] == [
        "claim_20_claims_sqlite",
        "scrape_300_rows_sqlite",
        "purge_300_rows_sqlite",
    ]
    for figure in figures:
        assert {"seconds", "floor_seconds", "ratio", "peak_rss_mb"} <= set(figure)
        assert figure["seconds"] > 0 and figure["floor_seconds"] > 0
