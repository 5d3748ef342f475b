"""A payment index from 0 to 100 in the spirit of the PAYDEX scale: 80 pays on the due date,
more pays early, less pays late, down to 20 for four months late or more.

The anchors are PAYDEX's public ones (80 prompt, 70 = 15 days late, 60 = 22, 50 = 30, 40 = 60,
30 = 90, 20 = 120) and, for early payers, 90 at 10 days early and 100 at 20 days early; between
two anchors the index is interpolated linearly and rounded half up to a whole number. It is not
Dun & Bradstreet's PAYDEX (which weighs trade experiences we do not have): it is computed from
the amount-weighted days late of the debtor's own paid items.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

__all__ = ["ANCHORS", "payment_index"]

ANCHORS: tuple[tuple[int, int], ...] = (
    (-20, 100),
    (-10, 90),
    (0, 80),
    (15, 70),
    (22, 60),
    (30, 50),
    (60, 40),
    (90, 30),
    (120, 20),
)


def payment_index(weighted_days_late: Fraction) -> int:
    """The index for a debtor whose paid items were `weighted_days_late` late on average
    (negative: early)."""
    # In integers (days = n / m): this runs for every debtor at each extraction.
    n, m = weighted_days_late.numerator, weighted_days_late.denominator
    if n <= ANCHORS[0][0] * m:
        return ANCHORS[0][1]
    if n >= ANCHORS[-1][0] * m:
        return ANCHORS[-1][1]
    for (d0, i0), (d1, i1) in pairwise(ANCHORS):
        if n <= d1 * m:
            # i0 + (i1 - i0) * (n/m - d0) / (d1 - d0), as one fraction p / q, rounded half up
            q = m * (d1 - d0)
            p = i0 * q + (i1 - i0) * (n - d0 * m)
            return (2 * p + q) // (2 * q)
    raise AssertionError("unreachable: the anchors cover every value")
