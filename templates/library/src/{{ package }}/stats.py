"""Small statistics helpers: replace with your own code."""

from __future__ import annotations

import math
from collections.abc import Sequence


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean; raises ValueError on an empty sequence."""
    if not values:
        raise ValueError("mean() of an empty sequence")
    return sum(values) / len(values)


def zscores(values: Sequence[float]) -> list[float]:
    """Each value's distance from the mean, in standard deviations (0.0 when all are equal)."""
    centre = mean(values)
    spread = math.sqrt(sum((value - centre) ** 2 for value in values) / len(values))
    return [0.0 if spread == 0 else (value - centre) / spread for value in values]
