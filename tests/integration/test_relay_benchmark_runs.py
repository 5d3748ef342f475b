"""The relay benchmark stays runnable (figures are measured, not asserted)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_relay_benchmark_prints_its_figures_as_json() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.relay", "--messages", "300",
         "--databases", "sqlite", "--json", "--repeat", "1"],
        cwd=ROOT, check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (figure,) = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert figure["name"] == "relay_300_messages_sqlite"
    assert figure["ratio"] == pytest.approx(figure["seconds"] / figure["floor_seconds"], rel=0.1)
    assert figure["messages_per_second"] > 0 and figure["floor_messages_per_second"] > 0


def test_the_push_benchmark_prints_its_figures_as_json() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.push", "--cases", "50", "--json", "--repeat", "1"],
        cwd=ROOT, check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (figure,) = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert figure["name"] == "push_50_cases"
    assert figure["ratio"] == pytest.approx(figure["seconds"] / figure["floor_seconds"], rel=0.1)
