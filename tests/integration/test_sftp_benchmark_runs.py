"""The SFTP benchmark stays runnable (its figures are measured, not tested)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    shutil.which("sftp") is None,
    reason="the floor is OpenSSH's sftp client (openssh-client: scripts/install-system-packages)",
)
def test_the_sftp_benchmark_prints_its_figures_as_json() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.sftp",
            "--cases",
            "300",
            "--events",
            "300",
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
    figures = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [f["name"] for f in figures] == ["sftp_upload_300_cases", "sftp_download_300_events"]
    for figure in figures:
        assert {"seconds", "floor_seconds", "ratio", "peak_rss_mb", "bytes"} <= set(figure)
        assert figure["bytes"] > 0 and figure["server"] in ("openssh", "asyncssh")
        # seconds are printed rounded to the millisecond; the ratio is taken before rounding
        assert figure["ratio"] == pytest.approx(
            figure["seconds"] / figure["floor_seconds"], rel=0.05, abs=0.01
        )
