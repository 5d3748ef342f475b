"""What every variant of `claimbridge demo` must end with: a clean loop.

Every ERP action and notice delivered (none failed, none waiting, no dead letter), and no
record quarantined but those the demo's partners send on purpose, which the demo names.
"""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from gateway.cli import main

__all__ = ["assert_the_loop_ended_clean"]


def outbox_statuses(cli: CliRunner, folder: Path) -> dict[str, int]:
    """Status → messages, from `claimbridge outbox` on the demo's configuration."""
    listing = cli.invoke(main, ["-c", str(folder / "claimbridge.yaml"), "outbox"])
    assert listing.exit_code == 0, listing.output
    counts: dict[str, int] = {}
    for line in listing.output.split("\n\n", 1)[0].splitlines()[2:]:
        _kind, _destination, status, messages = line.split()
        counts[status] = counts.get(status, 0) + int(messages)
    return counts


def assert_the_loop_ended_clean(cli: CliRunner, folder: Path, output: str) -> None:
    assert not re.search(r"\d+ failed|\bleft: |\bdead\b", output), output
    statuses = outbox_statuses(cli, folder)
    assert statuses and set(statuses) == {"delivered"}, statuses
    quarantined = [int(n) for n in re.findall(r"(\d+) quarantined", output)]
    if any(quarantined):
        assert "Quarantined on purpose (bad input is set aside with its reason):" in output
