"""Orders file rows -> validated orders, in chunks; pure Python, no database.

One row is one order line; consecutive rows with the same `external_id` are one order. The
order-level columns (customer, time, status, currency, store, channel) must agree on every line,
and one bad line rejects the whole order: an order is never stored with some of its lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from regulars.domain.errors import DomainError
from regulars.domain.money import minor_units, normalize_currency
from regulars.domain.orders import parse_status
from regulars.services.importing.columns import ColumnMap
from regulars.services.importing.order_columns import column_chunks
from regulars.services.importing.order_hash import OrderHasher
from regulars.services.importing.order_parts import (
    DEFAULT_STATUS,
    Chunk,
    Line,
    OrderColumns,
    ParsedOrder,
)
from regulars.services.importing.reading import cell_text
from regulars.services.importing.sql import Native
from regulars.services.importing.values import (
    POW10,
    CellError,
    Dates,
    RowError,
    fast_minor,
    minor_amount,
    quantity,
)

CHUNK_LINES = 10_000
# CSV files are checked a column at a time (order_columns); False: row by row everywhere
VECTORISED = True
_ONE = Decimal(1)
_MAX_WHOLE = 99_999_999_999
# Columns that describe the order, so every line of one order must say the same.
ORDER_LEVEL = ("customer_external_id", "placed_at", "status", "currency", "store", "channel")
TEXT_LIMITS = {"sku": 100, "product_name": 300, "category": 150, "store": 100, "channel": 30}


class OrderRows:
    """Turns the rows of an orders file into validated `ParsedOrder`s, a chunk at a time."""

    def __init__(
        self,
        cmap: ColumnMap,
        dates: Dates,
        default_currency: str,
        native: Native,
        *,
        typed_cells: bool = False,
        decimal_comma: bool = False,
        vectorised: bool | None = None,
    ) -> None:
        self.cmap = cmap
        self.vectorised = VECTORISED if vectorised is None else vectorised
        self.chunk_lines = CHUNK_LINES
        self.hasher = OrderHasher()
        self.decimal_comma = decimal_comma
        self.native = native
        self.typed_cells = typed_cells  # workbook rows: dates are datetime, not text
        self.dates = dates
        self.default_currency = default_currency
        self._currencies: dict[str, tuple[str, int] | str] = {}
        self._statuses: dict[str, str | CellError] = {}
        at = cmap.at
        self.i_id = at("external_id")
        self.i_customer = at("customer_external_id")
        self.i_placed = at("placed_at")
        self.i_status = at("status")
        self.i_changed = at("status_changed_at")
        self.i_currency = at("currency")
        self.i_sku = at("sku")
        self.i_name = at("product_name")
        self.i_category = at("category")
        self.i_qty = at("quantity")
        self.i_price = at("unit_price")
        self.i_cost = at("unit_cost")
        self.i_store = at("store")
        self.i_channel = at("channel")
        self.order_level = [(c, at(c)) for c in (*ORDER_LEVEL, "status_changed_at") if at(c) >= 0]

    def chunks(self, rows: Iterator[tuple[int, list[Any]]]) -> Iterator[Chunk]:
        """Group consecutive rows by order id; a chunk never splits an order."""
        if self.vectorised and not self.typed_cells:
            yield from column_chunks(self, rows)
            return
        i_id = self.i_id
        chunk: list[ParsedOrder] = []
        products: dict[str, tuple[str, str | None, int | None, str | None]] = {}
        n = 0
        group: list[tuple[int, list[Any]]] = []
        gid: str | None = None
        line = 0
        moments = {self.i_placed, self.i_changed}
        for line, values in rows:
            if self.typed_cells:
                values = [
                    v if type(v) is str or i in moments else cell_text(v)
                    for i, v in enumerate(values)
                ]
            oid = values[i_id].strip() if len(values) > i_id else ""
            if oid != gid or not oid:
                if group:
                    chunk.append(self._parsed(gid or "", group, products))
                    if n >= self.chunk_lines:
                        self._hash_valid(chunk)
                        yield Chunk(OrderColumns.of_orders(chunk), group[-1][0], products)
                        chunk, n, products = [], 0, {}
                group = []
                gid = oid
            group.append((line, values))
            n += 1
        if group:
            chunk.append(self._parsed(gid or "", group, products))
        if chunk:
            self._hash_valid(chunk)
            yield Chunk(OrderColumns.of_orders(chunk), line, products)

    def _hash_valid(self, orders: list[ParsedOrder]) -> None:
        self.hasher.hash_orders([o for o in orders if not o.errors])

    def _parsed(
        self,
        oid: str,
        rows: list[tuple[int, list[Any]]],
        products: dict[str, tuple[str, str | None, int | None, str | None]],
    ) -> ParsedOrder:
        order = self.parse(oid, rows)
        if not order.errors:
            self._describe_products(order, products)
        return order

    @staticmethod
    def _describe_products(
        order: ParsedOrder, products: dict[str, tuple[str, str | None, int | None, str | None]]
    ) -> None:
        """A SKU is described by the first valid line that names it."""
        for sku, name, category, _q, _p, _t, cost in order.lines:
            if sku not in products:
                currency = order.currency if cost is not None else None
                products[sku] = (name or sku, category, cost, currency)

    # -- one order -------------------------------------------------------------------------

    def parse(self, oid: str, rows: list[tuple[int, list[Any]]]) -> ParsedOrder:
        order = ParsedOrder(oid, rows, rows[0][0])
        errors = order.errors
        width = self.cmap.width
        first_line, first = rows[0]
        for line, values in rows:
            if len(values) != width:
                errors.append(
                    RowError(line, None, f"has {len(values)} columns, the header has {width}")
                )
        if errors:
            return order
        if not oid:
            errors.append(RowError(first_line, "external_id", "is required"))
            return order
        if len(oid) > 100:
            errors.append(RowError(first_line, "external_id", "is longer than 100 characters"))
            return order
        self._order_level(order, first_line, first)
        if not errors:
            for line, values in rows[1:]:
                self._agrees(order, first_line, first, line, values)
        # with an unknown currency, amounts are still checked as numbers (the order is refused)
        minor = self._minor(order.currency) if order.currency else 4
        lines = order.lines
        i_sku, i_qty, i_price = self.i_sku, self.i_qty, self.i_price
        i_name, i_category = self.i_name, self.i_category
        plain = self.i_cost < 0
        scale = POW10[minor]
        total = 0
        for line, v in rows:
            # the common shape inline (whole quantity, plain price); anything else, _line
            sku = v[i_sku].strip()
            qty_text = v[i_qty].strip()
            whole, dot, frac = v[i_price].strip().partition(".")
            name = v[i_name].strip() or None if i_name >= 0 else None
            category = v[i_category].strip() or None if i_category >= 0 else None
            if (
                plain
                and sku
                and len(sku) <= 100
                and qty_text.isdecimal()
                and 0 < (qty := int(qty_text)) <= _MAX_WHOLE
                and len(frac) <= minor
                and whole.isdecimal()
                and (frac.isdecimal() or not frac)
                and (name is None or len(name) <= 300)
                and (category is None or len(category) <= 150)
            ):
                price = int(whole + frac) * POW10[minor - len(frac)] if dot else int(whole) * scale
                total += qty * price
                lines.append((sku, name, category, qty, price, qty * price, None))
                continue
            try:
                parsed = self._line(v, minor)
            except CellError as e:
                errors.append(RowError(line, e.column, e.reason))
                continue
            total += parsed[5]
            lines.append(parsed)
        if not errors:
            order.total_minor = total  # the hash is set for the whole chunk (order_hash)
            self._prepare(order)
        return order

    def _prepare(self, order: ParsedOrder, line_rows: list[list[Any]] | None = None) -> None:
        """Values in the driver's form, and line rows for the writer to complete."""
        order.placed_native = self.native.moment(order.placed_at)
        order.since_native = (
            self.native.moment(order.status_changed_at)
            if order.status_changed_at
            else order.placed_native
        )
        # tenant_id, order_id, line_no, product (the SKU until the writer knows its id), ...
        if line_rows is not None:  # made for a whole chunk at once (order_columns)
            order.line_rows = line_rows
        elif self.native.sqlite:
            order.line_rows = [
                [None, None, no, ln[0], float(ln[3]), ln[4], ln[5]]
                for no, ln in enumerate(order.lines, 1)
            ]
        else:
            order.line_rows = [
                [None, None, no, ln[0], ln[3], ln[4], ln[5]] for no, ln in enumerate(order.lines, 1)
            ]

    def _order_level(self, order: ParsedOrder, line: int, values: list[Any]) -> None:
        errors = order.errors
        ref = values[self.i_customer].strip()
        if not ref:
            errors.append(RowError(line, "customer_external_id", "is required"))
        elif len(ref) > 100:
            errors.append(RowError(line, "customer_external_id", "is longer than 100 characters"))
        order.customer_ref = ref
        try:
            order.placed_at, order.local_day = self.dates.moment_and_day(
                values[self.i_placed], "placed_at"
            )
        except CellError as e:
            errors.append(RowError(line, e.column, e.reason))
        if self.i_status >= 0:
            status = self._status(values[self.i_status])
            if isinstance(status, CellError):
                errors.append(RowError(line, status.column, status.reason))
            else:
                order.status = status
        if self.i_changed >= 0 and str(values[self.i_changed]).strip():
            try:
                order.status_changed_at = self.dates.moment(
                    values[self.i_changed], "status_changed_at"
                )
            except CellError as e:
                errors.append(RowError(line, e.column, e.reason))
        raw_currency = values[self.i_currency] if self.i_currency >= 0 else ""
        currency = self._currency(raw_currency)
        if isinstance(currency, str):
            errors.append(RowError(line, "currency", currency))
        else:
            order.currency = currency[0]
        for column, i in (("store", self.i_store), ("channel", self.i_channel)):
            if i >= 0:
                value = values[i].strip() if isinstance(values[i], str) else str(values[i])
                if len(value) > TEXT_LIMITS[column]:
                    errors.append(
                        RowError(line, column, f"is longer than {TEXT_LIMITS[column]} characters")
                    )
                setattr(order, column, value or None)

    def _agrees(
        self, order: ParsedOrder, first_line: int, first: list[Any], line: int, values: list[Any]
    ) -> None:
        """Every line repeats the order's own columns; a line that says otherwise is refused."""
        for column, i in self.order_level:
            a, b = first[i], values[i]
            if a == b or self._same(column, a, b):
                continue
            order.errors.append(
                RowError(
                    line,
                    column,
                    f"order {order.external_id!r} has {str(a).strip()!r} on line {first_line} "
                    f"but {str(b).strip()!r} here: the lines of one order must agree",
                )
            )

    def _same(self, column: str, a: Any, b: Any) -> bool:
        """Different spellings of one value ('USD'/'usd', '2024-01-02'/'2024-01-02T00:00')."""
        try:
            if column in ("placed_at", "status_changed_at"):
                return bool(self.dates.moment(a, column) == self.dates.moment(b, column))
        except CellError:
            return False
        if column == "currency":
            return self._currency(a) == self._currency(b)
        if column == "status":
            return self._status(a) == self._status(b)
        return str(a).strip() == str(b).strip()

    def _line(self, v: list[Any], minor: int) -> Line:
        """One order line; the common shapes (whole quantities, plain prices) skip Decimal."""
        sku = v[self.i_sku].strip()
        if not sku or len(sku) > 100:
            raise CellError("sku", "is required" if not sku else "is longer than 100 characters")
        name = category = None
        if self.i_name >= 0:
            name = v[self.i_name].strip() or None
            if name is not None and len(name) > 300:
                raise CellError("product_name", "is longer than 300 characters")
        if self.i_category >= 0:
            category = v[self.i_category].strip() or None
            if category is not None and len(category) > 150:
                raise CellError("category", "is longer than 150 characters")
        point = self._point
        text = point(v[self.i_qty].strip())
        qty: int | Decimal
        if text.isdecimal() and 0 < (qty := int(text)) <= _MAX_WHOLE:
            pass
        else:
            qty = quantity(text)
        text = point(v[self.i_price].strip())
        price = fast_minor(text, minor)
        if price is None:
            price = minor_amount(text, "unit_price", minor)
        if isinstance(qty, int):
            total = qty * price
        else:
            total = int((qty * price).quantize(_ONE, rounding=ROUND_HALF_UP))
        cost = None
        if self.i_cost >= 0 and (text := point(v[self.i_cost].strip())):
            cost = fast_minor(text, minor)
            if cost is None:
                cost = minor_amount(text, "unit_cost", minor)
        return (sku, name, category, qty, price, total, cost)

    def _point(self, text: str) -> str:
        """'2,50' -> '2.50' in a semicolon-separated file: the spreadsheets of countries that
        write decimal commas (es, fi, vi…) separate columns with semicolons for that reason."""
        if self.decimal_comma and text.count(",") == 1 and "." not in text:
            return text.replace(",", ".")
        return text

    def _currency(self, raw: Any) -> tuple[str, int] | str:
        """(code, minor units), or the reason it is refused as text."""
        key = str(raw).strip() or self.default_currency
        hit = self._currencies.get(key)
        if hit is None:
            try:
                code = normalize_currency(key)
                hit = (code, minor_units(code))
            except DomainError as e:
                hit = e.message
            self._currencies[key] = hit
        return hit

    def _minor(self, currency: str) -> int:
        hit = self._currency(currency)
        return hit[1] if isinstance(hit, tuple) else 0

    def _status(self, raw: Any) -> str | CellError:
        hit = self._statuses.get(raw)
        if hit is None:
            text = str(raw).strip()
            if not text:
                hit = DEFAULT_STATUS
            else:
                try:
                    hit = parse_status(text).value
                except DomainError as e:
                    hit = CellError("status", e.message)
            self._statuses[raw] = hit
        return hit
