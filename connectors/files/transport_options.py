"""Choosing a transport from the configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from connectors.files.local import LocalFolders, LocalTransportOptions
from connectors.files.protocol import FileTransport
from connectors.files.sftp import SftpFolders
from connectors.files.sftp_options import SftpTransportOptions

__all__ = ["TransportOptions", "open_transport"]

# One member per transport; `kind` tells them apart in the configuration.
TransportOptions = Annotated[
    LocalTransportOptions | SftpTransportOptions, Field(discriminator="kind")
]


def open_transport(
    options: LocalTransportOptions | SftpTransportOptions, base_dir: Path
) -> FileTransport:
    """The transport the options describe. Relative local folders, key files and known_hosts
    files start at `base_dir`. An SFTP transport connects on first use."""
    if isinstance(options, SftpTransportOptions):
        return SftpFolders(options, base_dir)
    return LocalFolders(base_dir)
