"""The business's own orders as CLV transactions: one row per revenue order, dated locally.

Only orders whose money counts as revenue (paid, shipped, delivered, partly reversed) are used,
in one currency, and each is dated on the business's local calendar day.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, func, select

from regulars.analytics.clv.errors import ClvInputError
from regulars.domain.money import minor_units
from regulars.domain.orders import REVENUE
from regulars.store.tables import Order


def _from_connection(conn: Connection, tenant_id: int, currency: str) -> pa.Table:
    stmt = (
        select(Order.customer_id, Order.placed_at, Order.total_minor)
        .where(Order.tenant_id == tenant_id)
        .where(Order.currency == currency)
        .where(Order.status.in_([str(s) for s in REVENUE]))
    )
    rows = conn.execute(stmt).all()
    cols: list[tuple[object, ...]] = list(zip(*rows, strict=True)) if rows else [(), (), ()]
    return pa.table(
        {
            "customer_id": pa.array(cols[0], pa.int64()),
            "placed_at": pa.array(cols[1], pa.timestamp("us", tz="UTC")),
            "total_minor": pa.array(cols[2], pa.int64()),
        }
    )


def main_currency(conn: Connection, tenant_id: int) -> str | None:
    """The currency of most revenue orders: the models need amounts in one currency."""
    stmt = (
        select(Order.currency)
        .where(Order.tenant_id == tenant_id)
        .where(Order.status.in_([str(s) for s in REVENUE]))
        .group_by(Order.currency)
        .order_by(func.count().desc(), Order.currency)
        .limit(1)
    )
    return conn.execute(stmt).scalar()


def _filter_table(table: pa.Table, currency: str) -> pa.Table:
    """A handed-in orders table: keep revenue orders in the currency (when those columns exist)."""
    if "status" in table.column_names:
        table = table.filter(pc.is_in(table["status"], pa.array([str(s) for s in REVENUE])))
    if "currency" in table.column_names:
        table = table.filter(pc.equal(table["currency"], currency))
    return table


def orders_transactions(
    source: Connection | pa.Table, *, tenant_id: int, currency: str, timezone: str = "UTC"
) -> pa.Table:
    """(customer_id, day, amount) from the store's orders, or from a table of the same columns.

    A handed-in table needs customer_id, placed_at (UTC timestamps) and total_minor; status and
    currency columns, when present, are filtered like the store query.
    """
    if isinstance(source, pa.Table):
        table = _filter_table(source, currency)
    else:
        table = _from_connection(source, tenant_id, currency)
    if table.num_rows == 0:
        raise ClvInputError(f"the business has no paid orders in {currency} to learn from")
    placed = table["placed_at"]
    if placed.type.tz is None:
        placed = pc.assume_timezone(placed, "UTC")
    local = pc.local_timestamp(pc.cast(placed, pa.timestamp("us", tz=timezone)))
    days = pc.cast(pc.cast(local, pa.date32()), pa.int32())
    amount = pc.divide(
        pc.cast(table["total_minor"], pa.float64()), float(10 ** minor_units(currency))
    )
    return pa.table(
        {
            "customer_id": table["customer_id"],
            "day": pc.cast(days, pa.int64()),
            "amount": amount,
        }
    )
