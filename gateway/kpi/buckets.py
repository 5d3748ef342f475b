"""Ageing buckets: days past the net due date, cut at configurable edges.

Edges (30, 60, 90, 180) make the buckets *current* (not yet due: 0 days or fewer past due),
*1–30*, *31–60*, *61–90*, *91–180* and *> 180*. Bucket 0 is always *current*; bucket i (i ≥ 1)
holds the items more than edge[i-1] (or 0) and at most edge[i] days past due; the last holds
everything beyond the last edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["DEFAULT_EDGES", "AgeingBuckets"]

DEFAULT_EDGES = (30, 60, 90, 180)


@dataclass(frozen=True, slots=True)
class AgeingBuckets:
    """The edges, in days past due, strictly increasing and above zero."""

    edges: tuple[int, ...] = DEFAULT_EDGES

    def __post_init__(self) -> None:
        if not self.edges:
            raise ValueError("ageing buckets need at least one edge (e.g. 30,60,90)")
        if any(e <= 0 for e in self.edges) or list(self.edges) != sorted(set(self.edges)):
            raise ValueError(
                f"ageing bucket edges must be increasing whole days above 0, not {self.text}"
            )

    @classmethod
    def parse(cls, text: str) -> AgeingBuckets:
        """From "30,60,90,180".

        Raises:
            ValueError: naming what is wrong with the text.
        """
        try:
            edges = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
        except ValueError:
            raise ValueError(
                f"ageing bucket edges {text!r}: expected whole days separated by commas, "
                "e.g. 30,60,90,180"
            ) from None
        return cls(edges)

    @property
    def text(self) -> str:
        return ",".join(str(e) for e in self.edges)

    @property
    def count(self) -> int:
        return len(self.edges) + 2

    @property
    def labels(self) -> list[str]:
        """'current', '1-30', '31-60', ..., '>180'."""
        labels, low = ["current"], 1
        for edge in self.edges:
            labels.append(f"{low}-{edge}")
            low = edge + 1
        labels.append(f">{self.edges[-1]}")
        return labels

    def bucket_of(self, days_past_due: int) -> int:
        if days_past_due <= 0:
            return 0
        for i, edge in enumerate(self.edges, start=1):
            if days_past_due <= edge:
                return i
        return len(self.edges) + 1

    def due_date_bounds(self, as_of: date) -> list[date]:
        """The net due dates where buckets change on `as_of`, newest first: an item is in
        bucket 0 if due on or after the first, in bucket i if due on or after bound i and
        before bound i-1, in the last bucket if due before the last bound. Comparing dates (not
        day differences) keeps the SQL the same on SQLite and PostgreSQL, and index-friendly."""
        return [as_of] + [as_of - timedelta(days=edge) for edge in self.edges]
