"""The order's own columns (customer, times, status, currency, store, channel) for every order
of a chunk at once, read from each order's first line.

Each value is read as the row-by-row code reads it (the same `Dates`, status and currency
look-ups); an order with a value that code would refuse is marked not `ok`, and the exact path
then reports it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from regulars.services.importing.moment_columns import Moments, read_moments
from regulars.services.importing.order_parts import NO_TIME
from regulars.services.importing.values import CellError

if TYPE_CHECKING:
    from regulars.services.importing.order_rows import OrderRows

_TEXT_LIMITS = {"store": 100, "channel": 30}


class OrderHeads:
    """Per order (by its first row): the parsed order columns, and whether all are fine."""

    def __init__(self, p: OrderRows, firsts: list[list[Any]]) -> None:
        g = len(firsts)
        self.ok = np.ones(g, dtype=bool)
        customers = [v[p.i_customer].strip() for v in firsts]
        length = np.fromiter(map(len, customers), dtype=np.int64, count=g)
        self.ok &= (length > 0) & (length <= 100)
        self.customers = customers
        placed = read_moments([v[p.i_placed] for v in firsts], p.dates, "placed_at")
        self.ok &= placed.ok
        self.placed_us = placed.utc_us
        self.changed_us: npt.NDArray[np.int64] | None = None
        self.days = placed.local_day
        self.placed_native = self._native(p, placed)
        self.since_native = self.placed_native
        if p.i_changed >= 0:
            self._status_changes(p, [str(v[p.i_changed]) for v in firsts])
        self.statuses = self._statuses(p, firsts)
        self.currencies = self._currencies(p, firsts)
        self.stores = self._text(firsts, p.i_store, "store")
        self.channels = self._text(firsts, p.i_channel, "channel")

    def _native(self, p: OrderRows, m: Moments) -> list[Any]:
        """What the writer stores: SQLite keeps UTC text, as SQLAlchemy writes it."""
        if not p.native.sqlite:
            return _datetimes(m)
        text = np.datetime_as_string(m.utc_us.astype("datetime64[us]"))
        return list(np.char.replace(text, "T", " ").tolist())

    def _status_changes(self, p: OrderRows, texts: list[str]) -> None:
        given = [i for i, t in enumerate(texts) if t.strip()]
        if not given:
            return
        m = read_moments([texts[i] for i in given], p.dates, "status_changed_at")
        self.ok[given] &= m.ok
        natives = self._native(p, m)
        self.since_native = list(self.placed_native)
        self.changed_us = np.full(len(texts), NO_TIME, dtype=np.int64)
        self.changed_us[given] = m.utc_us
        for k, i in enumerate(given):
            self.since_native[i] = natives[k]

    def _statuses(self, p: OrderRows, firsts: list[list[Any]]) -> list[str]:
        if p.i_status < 0:
            return [p._status("")] * len(firsts)  # type: ignore[list-item]
        raw = [v[p.i_status] for v in firsts]
        found = {r: p._status(r) for r in set(raw)}
        bad = {r for r, s in found.items() if isinstance(s, CellError)}
        if bad:
            self.ok &= np.fromiter((r not in bad for r in raw), dtype=bool, count=len(raw))
        return [found[r] if r not in bad else "" for r in raw]  # type: ignore[misc]

    def _currencies(self, p: OrderRows, firsts: list[list[Any]]) -> list[str]:
        """Codes; a refused currency already sent its lines to the exact path."""
        raw = [v[p.i_currency] for v in firsts] if p.i_currency >= 0 else [""] * len(firsts)
        found = {r: p._currency(r) for r in set(raw)}
        return [c[0] if isinstance(c := found[r], tuple) else "" for r in raw]

    def _text(self, firsts: list[list[Any]], i: int, column: str) -> list[str | None]:
        if i < 0:
            return [None] * len(firsts)
        texts = [v[i].strip() for v in firsts]
        length = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        self.ok &= length <= _TEXT_LIMITS[column]
        return [t or None for t in texts]


def _datetimes(m: Moments) -> list[datetime]:
    """Aware UTC datetimes (placeholders where not ok)."""
    naive = np.where(m.ok, m.utc_us, 0).astype("datetime64[us]").tolist()
    return [d.replace(tzinfo=UTC) for d in naive]
