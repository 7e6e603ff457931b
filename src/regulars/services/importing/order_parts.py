"""What the orders reader hands to the writer: a chunk of orders, held as columns.

Per-order Python objects were what limited the import (the writer walked them five times), so
a chunk travels as lists and arrays per column: one entry per order for the order's own
columns, one per row of the file for the line columns. The writer builds its statements
straight from them. A `ParsedOrder` is made only where one order needs looking at as a whole:
a rejected order, an update, a hash from an older version, and in tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from regulars.domain.orders import OrderStatus
from regulars.services.importing.values import RowError

DEFAULT_STATUS = OrderStatus.DELIVERED.value  # a past sale, when the file has no status column

Line = tuple[str, str | None, str | None, int | Decimal, int, int, int | None]
# sku, product name, category, quantity, unit price (minor), line total (minor), unit cost (minor)
Rows = list[tuple[int, list[Any]]]
NO_TIME = int(np.iinfo(np.int64).min)  # no status time
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_US = timedelta(microseconds=1)


@dataclass(slots=True)
class ParsedOrder:
    """One order of the file with all its lines: valid as a whole, or rejected as a whole."""

    external_id: str
    rows: Rows  # (line, raw values) for the rejects file
    first_line: int
    errors: list[RowError] = field(default_factory=list)
    customer_ref: str = ""
    placed_at: datetime | None = None
    status: str = DEFAULT_STATUS
    status_changed_at: datetime | None = None
    currency: str = ""
    store: str | None = None
    channel: str | None = None
    lines: list[Line] = field(default_factory=list)
    total_minor: int = 0
    hash: str = ""
    # values in the driver's form, the local day of the order, and the stored line values
    # (tenant and order id left to the writer, the product as its SKU)
    placed_native: Any = None
    since_native: Any = None
    local_day: date | None = None
    line_rows: list[list[Any]] = field(default_factory=list)

    def rejected_rows(self) -> Iterator[tuple[int, list[Any], list[RowError]]]:
        """Every row of a rejected order, each with its own errors or a pointer to them."""
        bad_lines = {e.line for e in self.errors}
        first_bad = min(bad_lines)
        for line, values in self.rows:
            own = [e for e in self.errors if e.line == line]
            if not own:
                own = [
                    RowError(
                        line,
                        "external_id",
                        f"order {self.external_id!r} is rejected whole because of line {first_bad}",
                    )
                ]
            yield line, values, own


@dataclass(slots=True)
class OrderColumns:
    """The orders of a chunk, in file order, as columns.

    Order `g` spans rows `starts[g]` to `starts[g] + sizes[g]`; a valid order has one line per
    row. An order with errors is in `failed` (as parsed, with its errors); its entries in the
    other columns are placeholders.
    """

    rows: Rows
    starts: list[int]
    sizes: list[int]
    ids: list[str]
    failed: dict[int, ParsedOrder]
    # per order
    customers: list[str]
    statuses: list[str]
    currencies: list[str]
    stores: list[str | None]
    channels: list[str | None]
    totals: list[int]
    hashes: list[str]
    placed_us: npt.NDArray[np.int64]  # UTC, microseconds since 1970
    changed_us: npt.NDArray[np.int64] | None  # NO_TIME: none given (None: none anywhere)
    days: npt.NDArray[np.int64]  # the local day of `placed`, days since 1970
    placed_native: list[Any]
    since_native: list[Any]
    # per row
    skus: list[str]
    names: list[str | None]
    categories: list[str | None]
    quantities: list[int | Decimal]
    prices: list[int]
    line_totals: list[int]
    costs: list[int | None]
    stored_quantities: list[Any]  # as the driver stores them (float on SQLite)
    line_numbers: list[int]

    def __len__(self) -> int:
        return len(self.starts)

    def first_line(self, g: int) -> int:
        return self.rows[self.starts[g]][0]

    def order(self, g: int) -> ParsedOrder:
        """Order `g` as one object (for the rare paths: rejects, updates, older hashes)."""
        failed = self.failed.get(g)
        if failed is not None:
            return failed
        a = self.starts[g]
        b = a + self.sizes[g]
        changed = None
        if self.changed_us is not None and (us := int(self.changed_us[g])) != NO_TIME:
            changed = _EPOCH + us * _US
        lines = list(
            zip(
                *(self.skus[a:b], self.names[a:b], self.categories[a:b]),
                *(self.quantities[a:b], self.prices[a:b], self.line_totals[a:b], self.costs[a:b]),
                strict=True,
            )
        )
        line_rows = [
            [None, None, *r]
            for r in zip(
                *(self.line_numbers[a:b], self.skus[a:b], self.stored_quantities[a:b]),
                *(self.prices[a:b], self.line_totals[a:b]),
                strict=True,
            )
        ]
        return ParsedOrder(
            self.ids[g],
            self.rows[a:b],
            self.rows[a][0],
            [],
            self.customers[g],
            _EPOCH + int(self.placed_us[g]) * _US,
            self.statuses[g],
            changed,
            self.currencies[g],
            self.stores[g],
            self.channels[g],
            lines,
            self.totals[g],
            self.hashes[g],
            self.placed_native[g],
            self.since_native[g],
            date.fromordinal(int(self.days[g]) + _EPOCH_ORDINAL),
            line_rows,
        )

    @classmethod
    def of_orders(cls, orders: Sequence[ParsedOrder]) -> OrderColumns:
        """The columns of orders parsed one by one (the row-by-row path)."""
        rows: Rows = []
        starts: list[int] = []
        failed: dict[int, ParsedOrder] = {}
        order_cols: list[list[Any]] = [[] for _ in range(12)]
        line_cols: list[list[Any]] = [[] for _ in range(9)]
        for g, o in enumerate(orders):
            starts.append(len(rows))
            rows.extend(o.rows)
            if o.errors:
                failed[g] = o
                values: tuple[Any, ...] = ("", "", "", None, None, 0, "", 0, NO_TIME, 0, None, None)
                for col, v in zip(order_cols, values, strict=True):
                    col.append(v)
                blank = ("", None, None, 0, 0, 0, None, None, 0)
                for col, v in zip(line_cols, blank, strict=True):
                    col.extend([v] * len(o.rows))
                continue
            assert o.placed_at is not None and o.local_day is not None
            values = (
                *(o.customer_ref, o.status, o.currency, o.store, o.channel, o.total_minor),
                o.hash,
                micros(o.placed_at),
                micros(o.status_changed_at),
                o.local_day.toordinal() - _EPOCH_ORDINAL,
                o.placed_native,
                o.since_native,
            )
            for col, v in zip(order_cols, values, strict=True):
                col.append(v)
            for ln, row in zip(o.lines, o.line_rows, strict=True):
                for col, v in zip(line_cols, (*ln, row[4], row[2]), strict=True):
                    col.append(v)
        customers, statuses, currencies, stores, channels, totals, hashes = order_cols[:7]
        changed = np.array(order_cols[8], dtype=np.int64)
        skus, names, categories, quantities, prices, line_totals, costs, stored, numbers = line_cols
        return cls(
            rows,
            starts,
            [len(o.rows) for o in orders],
            [o.external_id for o in orders],
            failed,
            customers,
            statuses,
            currencies,
            stores,
            channels,
            totals,
            hashes,
            np.array(order_cols[7], dtype=np.int64),
            changed if (changed != NO_TIME).any() else None,
            np.array(order_cols[9], dtype=np.int64),
            order_cols[10],
            order_cols[11],
            skus,
            names,
            categories,
            quantities,
            prices,
            line_totals,
            costs,
            stored,
            numbers,
        )


def micros(when: datetime | None) -> int:
    """Microseconds since 1970 (UTC); None is `NO_TIME`."""
    if when is None:
        return NO_TIME
    return (when - _EPOCH) // _US


@dataclass(slots=True)
class Chunk:
    """About 10,000 lines of whole orders: the unit of look-ups and bulk writes."""

    columns: OrderColumns
    last_line: int
    # SKU -> (name, category, unit cost, cost currency), as first seen in the chunk
    products: dict[str, tuple[str, str | None, int | None, str | None]]

    @property
    def orders(self) -> list[ParsedOrder]:
        """Every order of the chunk as an object (tests compare the parsers by these)."""
        return [self.columns.order(g) for g in range(len(self.columns))]
