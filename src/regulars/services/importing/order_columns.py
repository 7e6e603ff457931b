"""Orders CSV rows -> validated chunks, a whole column at a time.

Per-row Python was what limited the import. Here the line-level work (SKUs, names, quantities,
prices, totals, hashes) is done for a chunk's columns at once with numpy; the order-level
columns go through the same code as before, once per order. An order with any line outside
the common shapes (a sign, an exponent, padding, a wrong number of cells, lines that spell an
order column differently...) is parsed by the exact per-row code, so every error reads, and
every line number counts, exactly as before. Chunks are cut where the row-by-row reader cuts
them, so messages that depend on the chunk (a repeated order id) do not change either.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from regulars.services.importing.decimal_columns import POW10, read_decimals
from regulars.services.importing.order_heads import OrderHeads
from regulars.services.importing.order_parts import (
    NO_TIME,
    Chunk,
    Line,
    OrderColumns,
    ParsedOrder,
    micros,
)

if TYPE_CHECKING:
    from regulars.services.importing.order_rows import OrderRows

Rows = list[tuple[int, list[Any]]]
_MAX_WHOLE_DIGITS = 11  # quantities up to 99,999,999,999.999 (NUMERIC(14, 3))
_MAX_AMOUNT = 1e17  # prices and totals well inside int64 (and the store's BigInteger)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def column_chunks(parser: OrderRows, rows: Iterator[tuple[int, list[Any]]]) -> Iterator[Chunk]:
    """The chunks of `OrderRows.chunks`, parsed column-wise."""
    for chunk_rows, ids in cut_chunks(rows, parser.i_id, parser.chunk_lines):
        yield ColumnChunk(parser, chunk_rows, ids).parse()


def cut_chunks(
    rows: Iterator[tuple[int, list[Any]]], i_id: int, size: int
) -> Iterator[tuple[Rows, list[str]]]:
    """Rows in chunks of whole orders: each ends with the order during which it reached `size`
    lines (as the row-by-row reader does), with each row's trimmed order id."""
    pending: Rows = []
    ids: list[str] = []
    while True:
        batch = list(islice(rows, size))
        pending.extend(batch)
        try:
            ids.extend(map(str.strip, map(itemgetter(i_id), map(itemgetter(1), batch))))
        except IndexError:  # a short row: no id
            del ids[len(pending) - len(batch) :]
            ids.extend(v[i_id].strip() if len(v) > i_id else "" for _, v in batch)
        while len(pending) > size:
            cut = _first_start(ids, size)
            if cut is None:
                break
            yield pending[:cut], ids[:cut]
            del pending[:cut], ids[:cut]
        if not batch:
            if pending:
                yield pending, ids
            return


def _first_start(ids: list[str], at: int) -> int | None:
    """The first row from `at` on that starts a new order (another id, or no id)."""
    for j in range(at, len(ids)):
        if ids[j] != ids[j - 1] or not ids[j]:
            return j
    return None


def _lengths(texts: Sequence[Any]) -> npt.NDArray[np.int64]:
    return np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def _stripped(column: Sequence[str]) -> list[str]:
    return list(map(str.strip, column))


class ColumnChunk:
    """One chunk of rows: checked column by column, then assembled order by order."""

    def __init__(self, parser: OrderRows, rows: Rows, ids: list[str]) -> None:
        self.p = parser
        self.rows = rows
        self.ids = ids
        self.n = len(rows)

    def parse(self) -> Chunk:
        p, n = self.p, self.n
        values = [v for _, v in self.rows]
        width = p.cmap.width
        if set(map(len, values)) == {width}:
            ok = np.ones(n, dtype=bool)
        else:  # a row with too few or too many cells: its order takes the exact path
            ok = np.fromiter((len(v) == width for v in values), dtype=bool, count=n)
            blank = [""] * width
            values = [v if len(v) == width else blank for v in values]
        cols = list(zip(*values, strict=True))
        id_len = _lengths(self.ids)
        ok &= (id_len > 0) & (id_len <= 100)
        starts = self._starts()
        sizes = np.diff(np.append(starts, n))
        ok &= self._orders_agree(cols, starts, sizes)
        skus = _stripped(cols[p.i_sku])
        sku_len = _lengths(skus)
        ok &= (sku_len > 0) & (sku_len <= 100)
        names = self._optional_text(cols, p.i_name, 300, ok)
        categories = self._optional_text(cols, p.i_category, 150, ok)
        minor = self._minor_units(cols, ok)
        milli = self._quantities(cols[p.i_qty], ok)
        prices = self._amounts(cols[p.i_price], minor, ok)
        costs = None
        if p.i_cost >= 0:
            cost_texts = _stripped(cols[p.i_cost])
            has_cost = _lengths(cost_texts) > 0
            amounts = self._amounts(cost_texts, minor, ok, optional=has_cost)
            costs = np.where(has_cost, amounts, -1)
        with np.errstate(over="ignore", invalid="ignore"):
            ok &= milli.astype(np.float64) * prices.astype(np.float64) < _MAX_AMOUNT * 1000
            totals = np.where(ok, (milli * prices + 500) // 1000, 0)
        heads = OrderHeads(p, [values[a] for a in starts.tolist()])
        good = np.logical_and.reduceat(ok, starts) & heads.ok if n else heads.ok
        quantities = self._quantity_values(milli, ok)
        costs_list: list[int | None] = (
            [None] * n if costs is None else [None if c < 0 else c for c in costs.tolist()]
        )
        hashes = p.hasher.line_hashes(skus, names, categories, milli, prices, totals, costs)
        numbers = (np.arange(n) - np.repeat(starts, sizes) + 1).tolist()
        stored = (milli / 1000).tolist() if p.native.sqlite else list(quantities)
        start_list = starts.tolist()
        columns = OrderColumns(
            self.rows,
            start_list,
            sizes.tolist(),
            [self.ids[a] for a in start_list],
            {},
            heads.customers,
            heads.statuses,
            heads.currencies,
            heads.stores,
            heads.channels,
            np.add.reduceat(totals, starts).tolist() if n else [],
            p.hasher.order_hashes(
                hashes,
                starts,
                (heads.customers, heads.statuses, heads.currencies, heads.stores, heads.channels),
                heads.placed_us,
                heads.changed_us,
            ),
            heads.placed_us,
            heads.changed_us,
            heads.days,
            heads.placed_native,
            list(heads.since_native),
            skus,
            names,
            categories,
            quantities,
            prices.tolist(),
            totals.tolist(),
            costs_list,
            stored,
            numbers,
        )
        return self._exact(columns, good, starts, sizes)

    # -- columns ---------------------------------------------------------------------------

    def _starts(self) -> npt.NDArray[np.intp]:
        ids = np.array(self.ids, dtype=object)
        new = np.ones(self.n, dtype=bool)
        if self.n > 1:
            new[1:] = (ids[1:] != ids[:-1]) | (ids[1:] == "")
        return np.flatnonzero(new)

    def _orders_agree(
        self, cols: list[tuple[Any, ...]], starts: npt.NDArray[np.intp], sizes: npt.NDArray[Any]
    ) -> npt.NDArray[np.bool_]:
        """Lines that repeat their order's columns exactly as its first line writes them."""
        ok = np.ones(self.n, dtype=bool)
        if len(starts) == self.n:
            return ok
        first = np.repeat(starts, sizes)
        for _, i in self.p.order_level:
            col = np.array(cols[i], dtype=object)
            ok &= col == col[first]
        return ok

    def _optional_text(
        self, cols: list[tuple[Any, ...]], i: int, limit: int, ok: npt.NDArray[np.bool_]
    ) -> list[str | None]:
        if i < 0:
            return [None] * self.n
        texts = _stripped(cols[i])
        ok &= _lengths(texts) <= limit
        return [t or None for t in texts]

    def _minor_units(self, cols: list[tuple[Any, ...]], ok: npt.NDArray[np.bool_]) -> Any:
        """Each line's currency digits; a line whose currency is refused takes the exact path."""
        p = self.p
        if p.i_currency < 0:
            found = p._currency("")
            if isinstance(found, str):
                ok[:] = False
                return 0
            return found[1]
        col = cols[p.i_currency]
        digits: dict[str, int] = {}
        for raw in set(col):
            found = p._currency(raw)
            digits[raw] = found[1] if isinstance(found, tuple) else -1
        if len(digits) == 1:
            (only,) = digits.values()
            if only < 0:
                ok[:] = False
            return max(only, 0)
        per_line = np.fromiter(map(digits.__getitem__, col), dtype=np.int64, count=self.n)
        ok &= per_line >= 0
        return np.maximum(per_line, 0)

    def _quantities(self, column: Sequence[str], ok: npt.NDArray[np.bool_]) -> Any:
        """Quantities in thousandths: more than 0, at most 3 decimals."""
        d = read_decimals(_stripped(column), decimal_comma=self.p.decimal_comma)
        ok &= d.plain & (d.decimals <= 3) & (d.whole <= _MAX_WHOLE_DIGITS)
        milli = np.where(ok, d.scaled(3), 0)
        ok &= milli > 0
        return milli

    def _amounts(
        self,
        column: Sequence[str],
        minor: Any,
        ok: npt.NDArray[np.bool_],
        optional: npt.NDArray[np.bool_] | None = None,
    ) -> Any:
        """Amounts in minor units, with no more decimals than the currency has."""
        texts = column if optional is not None else _stripped(column)
        d = read_decimals(texts, decimal_comma=self.p.decimal_comma)
        fine = d.plain & (d.decimals <= minor)
        with np.errstate(over="ignore"):
            fine &= d.digits.astype(np.float64) * POW10[np.clip(minor - d.decimals, 0, 18)] < (
                _MAX_AMOUNT
            )
        if optional is not None:
            fine |= ~optional
        ok &= fine
        return np.where(ok, d.scaled(minor), 0)

    @staticmethod
    def _quantity_values(milli: Any, ok: npt.NDArray[np.bool_]) -> list[int | Decimal]:
        """Whole quantities as int, others as a normalised Decimal (as the exact path gives)."""
        whole = (milli % 1000 == 0) | ~ok
        out: list[int | Decimal] = (milli // 1000).tolist()
        cache: dict[int, Decimal] = {}
        for i in np.flatnonzero(~whole).tolist():
            m = int(milli[i])
            q = cache.get(m)
            if q is None:
                q = cache[m] = Decimal(m).scaleb(-3).normalize()
            out[i] = q
        return out

    # -- orders ---------------------------------------------------------------------------

    def _exact(
        self,
        columns: OrderColumns,
        good: npt.NDArray[np.bool_],
        starts: npt.NDArray[np.intp],
        sizes: npt.NDArray[Any],
    ) -> Chunk:
        """Orders with anything unusual are parsed by the exact per-row code, and their values
        (or their errors) replace the placeholders in the columns."""
        p, rows, ids = self.p, self.rows, self.ids
        exact: list[tuple[int, ParsedOrder]] = []
        for g in np.flatnonzero(~good).tolist():
            a = columns.starts[g]
            order = p.parse(ids[a], rows[a : a + columns.sizes[g]])
            if order.errors:
                columns.failed[g] = order
            else:
                exact.append((g, order))
        p.hasher.hash_orders([o for _, o in exact])
        for g, order in exact:
            _patch(columns, g, order)
        products = self._products(np.repeat(good, sizes), columns, starts, exact)
        return Chunk(columns, rows[-1][0], products)

    @staticmethod
    def _products(
        fast: npt.NDArray[np.bool_],
        columns: OrderColumns,
        starts: npt.NDArray[np.intp],
        exact: list[tuple[int, ParsedOrder]],
    ) -> dict[str, tuple[str, str | None, int | None, str | None]]:
        """Each SKU described by the first valid line that names it, as the exact path does."""
        skus = columns.skus
        fast_rows = np.flatnonzero(fast)[::-1].tolist()
        first = sorted(dict(zip([skus[i] for i in fast_rows], fast_rows, strict=True)).values())
        order_of = np.searchsorted(starts, first, side="right") - 1
        events: list[tuple[int, Line, str]] = [
            (
                i,
                (skus[i], columns.names[i], columns.categories[i], 0, 0, 0, columns.costs[i]),
                columns.currencies[g],
            )
            for i, g in zip(first, order_of.tolist(), strict=True)
        ]
        for g, order in exact:
            a = columns.starts[g]
            events.extend((a, ln, order.currency) for ln in order.lines)
        events.sort(key=lambda e: e[0])  # stable: an exact order's lines keep their order
        products: dict[str, tuple[str, str | None, int | None, str | None]] = {}
        for _, (sku, name, category, _q, _p, _t, cost), currency in events:
            if sku not in products:
                products[sku] = (
                    name or sku,
                    category,
                    cost,
                    currency if cost is not None else None,
                )
        return products


def _patch(columns: OrderColumns, g: int, order: ParsedOrder) -> None:
    """Order `g`'s values, as the exact code parsed them, in place of the placeholders."""
    assert order.placed_at is not None and order.local_day is not None
    c = columns
    c.customers[g] = order.customer_ref
    c.statuses[g] = order.status
    c.currencies[g] = order.currency
    c.stores[g] = order.store
    c.channels[g] = order.channel
    c.totals[g] = order.total_minor
    c.hashes[g] = order.hash
    c.placed_us[g] = micros(order.placed_at)
    if order.status_changed_at is not None and c.changed_us is None:
        c.changed_us = np.full(len(c.starts), NO_TIME, dtype=np.int64)
    if c.changed_us is not None:
        c.changed_us[g] = micros(order.status_changed_at)
    c.days[g] = order.local_day.toordinal() - _EPOCH_ORDINAL
    c.placed_native[g] = order.placed_native
    c.since_native[g] = order.since_native
    a = c.starts[g]
    for i, (ln, row) in enumerate(zip(order.lines, order.line_rows, strict=True), a):
        (
            c.skus[i],
            c.names[i],
            c.categories[i],
            c.quantities[i],
            c.prices[i],
            c.line_totals[i],
            c.costs[i],
        ) = ln
        c.stored_quantities[i] = row[4]
        c.line_numbers[i] = row[2]
