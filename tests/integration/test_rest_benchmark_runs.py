"""The REST extraction benchmark stays runnable (its figures are measured, not tested here)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_rest_extraction_benchmark_prints_its_figures_as_json() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.rest_extract",
            "--rows",
            "1200",
            "--json",
            "--repeat",
            "1",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (figure,) = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert figure["name"] == "rest_extract_1200_records_sqlite"
    assert {"seconds", "floor_seconds", "ratio", "peak_rss_mb", "floor_peak_rss_mb"} <= set(figure)
    assert figure["ratio"] == pytest.approx(figure["seconds"] / figure["floor_seconds"], rel=0.05)
