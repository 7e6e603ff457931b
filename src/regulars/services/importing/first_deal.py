"""A customer's first deal is the local date of their earliest order that was not cancelled.

Imports keep it up to date in bulk: set-based for a chunk of customers, and never over a date a
person entered by hand (`first_deal_overridden`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from regulars.domain.orders import OrderStatus
from regulars.services.importing.sql import is_sqlite, keys, one_of, table_of, update_rows
from regulars.store.tables import Customer, Order

_customers = table_of(Customer)
_orders = table_of(Order)


def refresh_first_deals(
    conn: Connection, *, tenant_id: int, customer_ids: Collection[int], timezone: str
) -> None:
    """Recompute first_deal_on from the orders for these customers (unless set by hand)."""
    if not customer_ids:
        return
    ids = sorted(customer_ids)
    tz = ZoneInfo(timezone)
    firsts: dict[int, date | None] = dict.fromkeys(ids)
    for start in range(0, len(ids), 5000):
        part = ids[start : start + 5000]
        rows = conn.execute(
            select(_orders.c.customer_id, func.min(_orders.c.placed_at))
            .where(
                _orders.c.tenant_id == tenant_id,
                one_of(conn, _orders.c.customer_id, "ids"),
                _orders.c.status != OrderStatus.CANCELLED.value,
            )
            .group_by(_orders.c.customer_id),
            {"ids": keys(conn, part)},
        )
        for cid, first in rows:
            firsts[cid] = _aware(first).astimezone(tz).date() if first is not None else None
    set_first_deals(conn, dates=firsts)


def set_first_deals(conn: Connection, *, dates: dict[int, date | None]) -> None:
    """Write these first-deal dates, except over dates a person set by hand."""
    sqlite = is_sqlite(conn)
    rows = [(cid, d.isoformat() if (sqlite and d) else d) for cid, d in dates.items()]
    where = "t.first_deal_overridden = 0" if sqlite else "NOT t.first_deal_overridden"
    update_rows(conn, _customers, ["first_deal_on"], rows, where=where)


def _aware(value: object) -> datetime:
    """min() over a UTC column comes back as text on SQLite: read it as the store writes it."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
