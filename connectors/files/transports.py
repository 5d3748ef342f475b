"""Choosing a transport from the configuration."""

from __future__ import annotations

from pathlib import Path

from connectors.files.local import LocalFolders, LocalTransportOptions
from connectors.files.transport import FileTransport

__all__ = ["TransportOptions", "open_transport"]

# One member per transport; `kind` tells them apart in the configuration.
TransportOptions = LocalTransportOptions


def open_transport(options: TransportOptions, base_dir: Path) -> FileTransport:
    """The transport the options describe. Relative local folders start at `base_dir`."""
    return LocalFolders(base_dir)
