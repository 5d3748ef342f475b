"""`claimbridge init DIR`: a folder with a working configuration and sample data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from gateway.sample.data import sample_export
from gateway.sample.template import SAMPLE_CONFIG

__all__ = ["CONFIG_NAME", "FOLDERS", "init_folder"]

CONFIG_NAME = "claimbridge.yaml"
FOLDERS = (
    "erp/exports",
    "erp/writeback",
    "agency/to-agency",
    "agency/from-agency",
)


def init_folder(folder: Path, today: date) -> Path:
    """Write the example configuration and the day's sample export into `folder`.

    Raises:
        FileExistsError: `folder` already holds a claimbridge configuration.
    """
    config = folder / CONFIG_NAME
    if config.exists():
        raise FileExistsError(f"{config} already exists")
    folder.mkdir(parents=True, exist_ok=True)
    for name in FOLDERS:
        (folder / name).mkdir(parents=True, exist_ok=True)
    config.write_text(SAMPLE_CONFIG, encoding="utf-8")
    export = folder / "erp" / "exports" / f"open_items_{today:%Y%m%d}.csv"
    export.write_bytes(sample_export(today))
    return config
