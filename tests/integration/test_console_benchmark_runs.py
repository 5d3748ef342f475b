"""The console benchmark stays runnable (figures are measured, not asserted here)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_console_benchmark_prints_each_page_beside_its_floor() -> None:
    out = subprocess.run(
        [
            *(sys.executable, "-m", "tests.benchmarks.console"),
            *("--cases", "400", "--json", "--repeat", "1"),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    figures = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    names = [f["name"] for f in figures]
    assert "work_list_400_cases_sqlite" in names
    assert "case_page_400_cases_sqlite" in names and "debtor_sheet_400_cases_sqlite" in names
    for figure in figures:
        assert figure["ms"] > 0 and figure["floor_ms"] >= 0
