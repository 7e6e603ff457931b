"""Small number helpers shared by the analytics: shares as exact-looking Decimals."""

from __future__ import annotations

from decimal import Decimal


def share(part: float, whole: float, places: int = 4) -> Decimal:
    """part / whole rounded to `places` decimals as a Decimal (JSON shows it as a string)."""
    if not whole:
        return Decimal(0)
    return Decimal(str(round(float(part) / float(whole), places)))
