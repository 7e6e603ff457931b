"""The content hash of an imported order: how a re-import tells 'unchanged' without comparing.

Built from parsed values, so '2.000' and '2', 'USD' and 'usd' hash the same. Computed for a
whole chunk at once with numpy: each line's values (and its position) are mixed into 64 bits,
an order's lines are combined, then its own columns are mixed in twice with different
constants (120 bits kept). Hashes written before this scheme (32 hex digits, `legacy_hash`)
are still recognised, so a store imported by an older version stays 'unchanged' when the
same file comes again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from hashlib import blake2b
from typing import Any

import numpy as np
import numpy.typing as npt

from regulars.services.importing.order_parts import NO_TIME, ParsedOrder, micros

PREFIX = "v2"  # 2 + 30 hex digits: fits the 32 characters of the column, never valid hex
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xC2B2AE3D27D4EB4F)
_SEED2 = np.uint64(0x165667B19E3779F9)
_SHIFT = np.uint64(31)
_NONE = np.uint64(0x5BD1E9955BD1E995)  # no cost on any line
_CACHE_LIMIT = 200_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def _mix(h: U64, part: U64, m: np.uint64) -> U64:
    h = (h ^ part) * m
    return h ^ (h >> _SHIFT)


def _int64(values: Sequence[int]) -> I64:
    """Integers as int64; one too large for the store (refused when written) still hashes."""
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        wrapped = [v & 0xFFFF_FFFF_FFFF_FFFF for v in values]
        return np.array(wrapped, dtype=np.uint64).view(np.int64)


class OrderHasher:
    """Hashes the valid orders of a chunk; text hashes are cached (SKUs and names repeat)."""

    def __init__(self) -> None:
        self._texts: dict[str | None, int] = {None: 0}

    def text_hashes(self, column: Sequence[str | None]) -> U64:
        cache = self._texts
        try:  # the usual case once the first chunks are done: every value seen before
            return np.fromiter(map(cache.__getitem__, column), dtype=np.uint64, count=len(column))
        except KeyError:
            pass
        new = set(column) - cache.keys()
        if len(cache) + len(new) > _CACHE_LIMIT:
            cache.clear()
            cache[None] = 0
            new = set(column) - {None}
        for t in new:
            digest = blake2b(t.encode(), digest_size=8).digest()  # type: ignore[union-attr]
            cache[t] = int.from_bytes(digest, "little")
        return np.fromiter(map(cache.__getitem__, column), dtype=np.uint64, count=len(column))

    def line_hashes(
        self,
        skus: Sequence[str],
        names: Sequence[str | None],
        categories: Sequence[str | None],
        milli_quantities: I64,
        prices: I64,
        totals: I64,
        costs: I64 | None,
    ) -> U64:
        """One 64-bit hash per line; `costs` uses -1 for 'no cost' (None: no cost anywhere)."""
        h = self.text_hashes(skus)
        with np.errstate(over="ignore"):
            for part in (
                self.text_hashes(names),
                self.text_hashes(categories),
                milli_quantities.view(np.uint64),
                prices.view(np.uint64),
                totals.view(np.uint64),
                np.full(len(skus), _NONE) if costs is None else costs.view(np.uint64),
            ):
                h = _mix(h, part, _M1)
        return h

    def order_hashes(
        self,
        lines: U64,
        starts: npt.NDArray[np.intp],
        heads: Sequence[Sequence[Any]],
        placed_us: I64,
        changed_us: I64 | None,
    ) -> list[str]:
        """One hash per order: its `lines` (from `starts`), and its own columns.

        `heads` are the text columns (customer, status, currency, store, channel); a missing
        status time is `NO_TIME` in `changed_us` (None: none has one).
        """
        g = len(starts)
        if g == 0:
            return []
        n = len(lines)
        sizes = np.diff(np.append(starts, n))
        with np.errstate(over="ignore"):
            position = (np.arange(n) - np.repeat(starts, sizes) + 1).astype(np.uint64)
            placed = _mix(lines, position, _M2)
            combined = np.bitwise_xor.reduceat(placed, starts)
            a, b = combined, combined ^ _SEED2
            parts: list[U64] = [sizes.astype(np.uint64), placed_us.view(np.uint64)]
            parts.extend(self.text_hashes(column) for column in heads)
            if changed_us is None:
                changed_us = np.full(g, NO_TIME, dtype=np.int64)
            parts.append(changed_us.view(np.uint64))
            for part in parts:
                a = _mix(a, part, _M1)
                b = _mix(b, part, _M2)
        digits = np.stack([a, b], axis=1).astype(">u8").tobytes().hex()
        return [PREFIX + digits[32 * i : 32 * i + 30] for i in range(g)]

    def hash_orders(self, orders: Sequence[ParsedOrder]) -> None:
        """Set `hash` on orders parsed row by row (the same values as the column-wise path)."""
        if not orders:
            return
        flat = [ln for o in orders for ln in o.lines]
        skus, names, categories, qtys, prices, totals, costs = zip(*flat, strict=True)
        milli = [q * 1000 if type(q) is int else int(q * 1000) for q in qtys]
        cost_array = None
        if any(c is not None for c in costs):
            cost_array = _int64([-1 if c is None else c for c in costs])
        lines = self.line_hashes(
            skus, names, categories, _int64(milli), _int64(prices), _int64(totals), cost_array
        )
        starts = np.cumsum([0] + [len(o.lines) for o in orders[:-1]])
        heads: list[list[Any]] = [
            [o.customer_ref for o in orders],
            [o.status for o in orders],
            [o.currency for o in orders],
            [o.store for o in orders],
            [o.channel for o in orders],
        ]
        placed = _int64([(o.placed_at - _EPOCH) // _US for o in orders])  # type: ignore[operator]
        changed = None
        if any(o.status_changed_at for o in orders):
            changed = _int64([micros(o.status_changed_at) for o in orders])
        for o, h in zip(
            orders, self.order_hashes(lines, starts, heads, placed, changed), strict=True
        ):
            o.hash = h


def is_legacy(stored: str | None) -> bool:
    """A hash written before `PREFIX` hashes: compare it with `legacy_hash`."""
    return stored is not None and len(stored) == 32 and not stored.startswith(PREFIX)


def legacy_hash(o: ParsedOrder) -> str:
    """The earlier scheme (repr of the parsed values), for stores imported by older versions."""
    assert o.placed_at is not None
    key: tuple[Any, ...] = (
        o.customer_ref,
        o.placed_at.timestamp(),
        o.status,
        o.currency,
        o.store,
        o.channel,
        o.status_changed_at.timestamp() if o.status_changed_at else None,
        o.lines,
    )
    return blake2b(repr(key).encode(), digest_size=16).hexdigest()
