"""Find, read, validate and compile mapping files: shipped presets (`preset:NAME`) or files."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from mappings.engine import CompiledMapping, compile_mapping
from mappings.errors import MappingSpecError
from mappings.spec import MappingSpec

__all__ = ["PRESET_PREFIX", "list_presets", "load_mapping", "parse_mapping"]

PRESET_PREFIX = "preset:"


def list_presets() -> list[str]:
    """Names of the mapping presets shipped with claimbridge."""
    folder = resources.files("mappings") / "presets"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def parse_mapping(text: str, source: str) -> CompiledMapping:
    """Validate and compile a mapping given as YAML text; `source` names it in errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingSpecError(source, [f"not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise MappingSpecError(source, ["a mapping file is a YAML mapping (name, kind, fields)"])
    try:
        spec = MappingSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            path = ".".join(str(p) for p in error["loc"] if p not in ("function-after",))
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{path or '(top)'}: {message}")
        raise MappingSpecError(source, problems) from None
    return compile_mapping(spec, source)


@cache
def _preset(name: str) -> CompiledMapping:
    folder = resources.files("mappings") / "presets"
    path = folder / f"{name}.yaml"
    if not path.is_file():
        raise MappingSpecError(
            f"{PRESET_PREFIX}{name}", [f"no such preset (presets: {', '.join(list_presets())})"]
        )
    return parse_mapping(path.read_text(encoding="utf-8"), f"{PRESET_PREFIX}{name}")


def load_mapping(reference: str, base_dir: Path | None = None) -> CompiledMapping:
    """Load `preset:NAME` or a mapping file (relative paths are taken from `base_dir`).

    Raises:
        MappingSpecError: the file is missing, not YAML, or invalid; the message lists why.
    """
    if reference.startswith(PRESET_PREFIX):
        return _preset(reference[len(PRESET_PREFIX) :])
    path = Path(reference)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingSpecError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    return parse_mapping(text, str(path))
