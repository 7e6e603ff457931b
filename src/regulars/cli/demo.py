"""`regulars demo` (being built)."""

from __future__ import annotations


def demo() -> None:
    """Build the demo business."""
    raise NotImplementedError
