"""The ingest benchmark stays runnable (figures are measured there, not asserted here)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_ingest_benchmark_prints_its_figures_as_json() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.ingest",
            "--events",
            "200",
            "--batch",
            "100",
            "--single",
            "40",
            "--databases",
            "sqlite",
            "--json",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    figures = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [f["name"] for f in figures] == [
        "ingest_batch_200_events_sqlite",
        "ingest_single_40_events_sqlite",
    ]
    for figure in figures:
        assert figure["events_per_second"] > 0
        assert {"floor_seconds", "ratio", "p50_ms", "p99_ms", "floor_p50_ms"} <= set(figure)
