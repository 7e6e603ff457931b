"""What the orders reader hands to the writer: parsed orders, in chunks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from regulars.domain.orders import OrderStatus
from regulars.services.importing.values import RowError

DEFAULT_STATUS = OrderStatus.DELIVERED.value  # a past sale, when the file has no status column

Line = tuple[str, str | None, str | None, int | Decimal, int, int, int | None]
# sku, product name, category, quantity, unit price (minor), line total (minor), unit cost (minor)


@dataclass(slots=True)
class ParsedOrder:
    """One order of the file with all its lines: valid as a whole, or rejected as a whole."""

    external_id: str
    rows: list[tuple[int, list[Any]]]  # (line, raw values) for the rejects file
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
    # Prepared for the writer, which is the busier thread: values in the driver's form, the
    # local day of the order, and line rows whose order and product ids the writer fills in.
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
class Chunk:
    """About 10,000 lines of whole orders: the unit of look-ups and bulk writes."""

    orders: list[ParsedOrder]
    last_line: int
    # SKU -> (name, category, unit cost, cost currency), as first seen in the chunk
    products: dict[str, tuple[str, str | None, int | None, str | None]]
