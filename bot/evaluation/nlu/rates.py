"""Shares with their 95% Wilson intervals: the sets hold a few hundred messages, so each rate in
the report says how far it can be trusted (Wilson rather than normal: rates near 0 or 1 matter)."""

from __future__ import annotations

import math
from typing import Any

Z95 = 1.959964


def rate(count: int, n: int) -> dict[str, Any]:
    """count / n with its 95% Wilson interval (None for an empty set)."""
    if n == 0:
        return {"count": 0, "n": 0, "rate": None, "low": None, "high": None}
    p = count / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return {"count": count, "n": n, "rate": round(p, 4), "low": round(max(0.0, centre - half), 4),
            "high": round(min(1.0, centre + half), 4)}
