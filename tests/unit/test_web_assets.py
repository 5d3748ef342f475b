"""The vendored JavaScript and CSS are exactly what scripts/vendor-web-assets fetched (version,
licence and SHA-256 of each file), and each package ships its licence."""

import hashlib
import json

import pytest

from gateway.web.templates import STATIC

MANIFEST = json.loads((STATIC / "vendor" / "vendor.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("folder", sorted(MANIFEST))
def test_vendored_files_match_the_manifest(folder: str) -> None:
    entry = MANIFEST[folder]
    target = STATIC / "vendor" / folder / entry["version"]
    assert "LICENSE" in entry["files"]
    assert entry["license"]
    for name, digest in entry["files"].items():
        assert hashlib.sha256((target / name).read_bytes()).hexdigest() == digest, name
    assert sorted(p.name for p in target.iterdir()) == sorted(entry["files"])
