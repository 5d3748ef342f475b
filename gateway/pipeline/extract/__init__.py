"""Extract: a source's snapshots streamed, mapped, checked and loaded into the store."""

from gateway.pipeline.extract.snapshots import SnapshotResult, extract_source

__all__ = ["SnapshotResult", "extract_source"]
