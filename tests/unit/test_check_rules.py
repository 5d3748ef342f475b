"""scripts/check_rules.py: the shipped tree keeps the rules, and each rule catches its breach."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_rules.py"


def run(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True, check=False
    )


def test_the_shipped_tree_keeps_the_rules() -> None:
    result = run(ROOT)
    assert result.returncode == 0, result.stdout
    assert "rules kept" in result.stdout


def test_each_rule_names_the_file_and_line_of_its_breach(tmp_path: Path) -> None:
    package = tmp_path / "gateway" / "pipeline"
    package.mkdir(parents=True)
    (package / "bad.py").write_text(
        "import paramiko  # noqa\n"
        "from pyrfc import Connection  # noqa\n"
        "\n"
        "def run(session, code):\n"
        "    exec(code)  # noqa: S102\n"
        "    session.commit()\n",
        encoding="utf-8",
    )
    allowed = tmp_path / "gateway" / "storage"
    allowed.mkdir(parents=True)
    (allowed / "database.py").write_text("def end(session):\n    session.commit()\n")

    result = run(tmp_path)

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:-1] == [
        "gateway/pipeline/bad.py:1: paramiko imported outside connectors/files/sftp.py, "
        "connectors/files/sftp_pipeline.py, connectors/files/sftp_session.py",
        "gateway/pipeline/bad.py:2: pyrfc imported outside connectors/sap_rfc/sdk.py",
        "gateway/pipeline/bad.py:5: exec() outside mappings/accelerate.py",
        "gateway/pipeline/bad.py:6: .commit() outside the unit of work "
        "(gateway/storage/database.py)",
    ]
    assert lines[-1] == "check_rules: 4 breach(es)"
