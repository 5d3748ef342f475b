"""The benchmarks stay runnable (figures are not asserted here: they are measured, not tested)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_extraction_benchmark_prints_its_figures_as_json() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.extract",
            "--rows",
            "2000",
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
    assert figure["name"] == "extract_2000_rows_sqlite"
    assert {"seconds", "floor_seconds", "ratio", "peak_rss_mb"} <= set(figure)
    # seconds are printed rounded to the millisecond; the ratio is taken before rounding
    assert figure["ratio"] == pytest.approx(figure["seconds"] / figure["floor_seconds"], rel=0.05)
