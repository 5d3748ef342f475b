"""The reference documentation stays true: every step, rule and canonical field is described."""

from pathlib import Path

import pytest

from mappings.computed import COMPUTED
from mappings.spec import FileFormat
from mappings.targets import KINDS
from mappings.transforms import STEPS

REFERENCE = (Path(__file__).resolve().parents[2] / "docs" / "mapping-reference.md").read_text(
    encoding="utf-8"
)


@pytest.mark.parametrize("name", sorted(STEPS))
def test_every_step_is_documented(name: str) -> None:
    assert f"`{name}`" in REFERENCE


@pytest.mark.parametrize("name", sorted(COMPUTED))
def test_every_computed_rule_is_documented(name: str) -> None:
    assert f"`{name}`" in REFERENCE


def test_every_canonical_field_is_documented() -> None:
    names = set()
    for layout in KINDS.values():
        names |= {t.name for t in layout.targets}
        for section in (layout.sections or {}).values():
            names |= set(section)
    missing = sorted(n for n in names if f"`{n}`" not in REFERENCE)
    assert missing == []


@pytest.mark.parametrize("name", sorted(FileFormat.model_fields))
def test_every_file_key_is_documented(name: str) -> None:
    assert f"`{name}" in REFERENCE
