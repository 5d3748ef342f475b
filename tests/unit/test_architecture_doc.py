"""The docs name only modules that exist, and docs/architecture.md lists every contract CI checks.

Modules move (issue 19 moved many): a doc that names `gateway.pipeline.x` or
`connectors/files/y.py` must follow.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
PACKAGES = "gateway|connectors|mappings|simulators"
DOTTED = re.compile(rf"(?<![\w./-])((?:{PACKAGES})(?:\.\w+)+)")
# Keys of the configuration file that read like module names (an agency's `mappings:` section).
CONFIG_KEYS = {"mappings.agency_events", "mappings.handover", "mappings.notices"}
# Files a doc's worked example creates (docs/architecture.md, "Adding a page").
EXAMPLES = {"gateway/web/pages/transfer_log.py", "gateway/web/templates/transfer_log.html"}
PATH = re.compile(rf"(?<![\w./-])((?:{PACKAGES})/[\w/.-]*\w)")


def resolves(dotted: str) -> bool:
    """A module, or an attribute of one (a class, a function, a method)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_module_a_doc_names_exists(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    missing_modules = sorted(
        {n for n in DOTTED.findall(text) if n not in CONFIG_KEYS and not resolves(n)}
    )
    missing_paths = sorted(
        {p for p in PATH.findall(text) if not (ROOT / p).exists() and p not in EXAMPLES}
    )
    assert (missing_modules, missing_paths) == ([], [])


def test_the_architecture_page_names_every_contract() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]["contracts"]
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert len(contracts) >= 6
    assert [c["id"] for c in contracts if f"`{c['id']}`" not in page] == []
