"""The file-based agency channel: handover files out, status files in (local or SFTP)."""

from connectors.agency_files.channel import FileAgencyChannel, FileAgencyOptions
from connectors.agency_files.manifest import MANIFEST_SUFFIX, manifest_bytes, parse_manifest

__all__ = [
    "MANIFEST_SUFFIX",
    "FileAgencyChannel",
    "FileAgencyOptions",
    "manifest_bytes",
    "parse_manifest",
]
