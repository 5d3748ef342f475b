"""The KPI and risk-score benchmarks stay runnable (figures are measured, not asserted here,
except that each page agreed with its hand-written floor: the run stops otherwise)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> list[dict]:  # type: ignore[type-arg]
    out = subprocess.run(
        [sys.executable, "-m", *args, "--json"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def test_the_kpi_benchmark_prints_each_page_beside_its_floor() -> None:
    figures = _run("tests.benchmarks.kpi", "--rows", "1000", "--snapshots", "3", "--repeat", "1")
    pages = [f for f in figures if "ratio" in f]
    assert [f["name"] for f in pages] == [
        f"{page}_sqlite"
        for page in (
            "ageing_by_company",
            "ageing_other_buckets_from_items",
            "ageing_top_50_debtors",
            "ageing_top_50_debtors_from_items",
            "ageing_on_a_past_day",
            "receivables_trend",
            "dso_and_cei",
            "agency_performance",
            "promises",
            "cash_forecast",
            "debtor_sheet",
        )
    ]
    assert all(f["seconds"] >= 0 and f["floor_seconds"] >= 0 for f in pages)
    assert any(f["name"].startswith("extraction_keeps_its_totals") for f in figures)


def test_the_risk_score_benchmark_prints_its_auc() -> None:
    (result,) = _run("tests.benchmarks.risk_score", "--debtors", "300")
    assert result["debtors"] == 300 and result["defaulted"] > 0
    # the planted effect is strong: a score that ranked at random would be near 0.5
    assert 0.6 < result["auc_holdout"] <= result["auc_ceiling_holdout"] + 0.1
    assert set(result["auc_per_fact_holdout"]) == {
        "days late",
        "old balance",
        "broken promises",
        "uncollectible cases",
    }
