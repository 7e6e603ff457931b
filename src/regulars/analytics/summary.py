"""Summary and monthly statistics: revenue, orders, active / new / returning customers, repeat
rate, average order value, and acquisition vs retention revenue.

A customer is *new* in a period when their first purchase ever falls in it, *returning* when
they bought before it. Acquisition revenue is what new customers spent, retention revenue what
returning customers spent. The repeat rate is the share of active customers who have bought
on at least two different days (up to as_of).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from regulars.analytics.backend import Store, top_n
from regulars.analytics.facts import customer_facts, purchase_days
from regulars.analytics.numbers import share


@dataclass(frozen=True, slots=True)
class Summary:
    as_of: date
    first_day: date
    currency: str
    revenue: Decimal
    orders: int
    active_customers: int
    new_customers: int
    returning_customers: int
    repeat_rate: Decimal
    average_order_value: Decimal
    acquisition_revenue: Decimal
    retention_revenue: Decimal


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: str  # YYYY-MM, local time of the business
    revenue: Decimal
    orders: int
    active_customers: int
    new_customers: int
    returning_customers: int
    average_order_value: Decimal
    acquisition_revenue: Decimal
    retention_revenue: Decimal


@dataclass(frozen=True, slots=True)
class CustomerMonth:
    customer_id: int
    month: str
    orders: int
    revenue: Decimal


def _with_first(store: Store, as_of: date) -> ir.Table:
    """Buying days (amount, orders) with the customer's first purchase day and number of
    buying days; read from the shared per-customer facts, not from every order again."""
    d = purchase_days(store, as_of)
    f = customer_facts(store, as_of)
    per = f.select("customer_id", "first_day", buying_days=f.purchases)
    j = d.join(per, d.customer_id == per.customer_id)
    return j.select(d.customer_id, d.amount, d.orders, d.day, per.first_day, per.buying_days)


def month_start(day: date, back: int = 0) -> date:
    """First day of the month `back` months before day's month."""
    m = day.year * 12 + day.month - 1 - back
    return date(m // 12, m % 12 + 1, 1)


def summary(store: Store, as_of: date, days: int = 365) -> Summary:
    """Figures for the local days (as_of - days, as_of]."""
    start = as_of - timedelta(days=days)
    t = _with_first(store, as_of)
    t = t.filter(t.day > start)
    new = t.first_day > start
    r = (
        t.aggregate(
            revenue=t.amount.sum(),
            orders=t.orders.sum(),
            active=t.customer_id.nunique(),
            new=t.customer_id.nunique(where=new),
            repeaters=t.customer_id.nunique(where=t.buying_days >= 2),
            acquisition=t.amount.sum(where=new),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    revenue = int(r["revenue"] or 0)
    acquisition = int(r["acquisition"] or 0)
    orders, active, n_new = int(r["orders"] or 0), int(r["active"]), int(r["new"])
    return Summary(
        as_of=as_of,
        first_day=start + timedelta(days=1),
        currency=store.scope.currency,
        revenue=store.money(revenue),
        orders=orders,
        active_customers=active,
        new_customers=n_new,
        returning_customers=active - n_new,
        repeat_rate=share(int(r["repeaters"] or 0), active),
        average_order_value=store.money(revenue / orders if orders else 0),
        acquisition_revenue=store.money(acquisition),
        retention_revenue=store.money(revenue - acquisition),
    )


def monthly(store: Store, as_of: date, months: int = 12) -> list[MonthRow]:
    """One row per local calendar month, the last `months` months up to as_of, oldest first."""
    t = _with_first(store, as_of)
    t = t.filter(t.day >= month_start(as_of, months - 1))
    t = t.mutate(month=t.day.truncate("M"), first_month=t.first_day.truncate("M"))
    new = t.first_month == t.month
    g = t.group_by("month").agg(
        revenue=t.amount.sum(),
        orders=t.orders.sum(),
        active=t.customer_id.nunique(),
        new=t.customer_id.nunique(where=new),
        acquisition=t.amount.sum(where=new),
    )
    out = []
    for r in g.order_by("month").to_pyarrow().to_pylist():
        revenue, acquisition = int(r["revenue"]), int(r["acquisition"] or 0)
        out.append(
            MonthRow(
                month=r["month"].strftime("%Y-%m"),
                revenue=store.money(revenue),
                orders=int(r["orders"]),
                active_customers=int(r["active"]),
                new_customers=int(r["new"]),
                returning_customers=int(r["active"]) - int(r["new"]),
                average_order_value=store.money(revenue / int(r["orders"])),
                acquisition_revenue=store.money(acquisition),
                retention_revenue=store.money(revenue - acquisition),
            )
        )
    return out


def customer_months(
    store: Store,
    as_of: date,
    months: int = 12,
    customer_id: int | None = None,
    limit: int | None = 1000,
) -> list[CustomerMonth]:
    """Every regular's statistics per month (orders, revenue), newest month first."""
    s = store.sales(as_of)
    s = s.filter(s.day >= month_start(as_of, months - 1))
    if customer_id is not None:
        s = s.filter(s.customer_id == customer_id)
    s = s.mutate(month=s.day.truncate("M"))
    g = s.group_by("customer_id", "month").agg(orders=s.count(), revenue=s.amount.sum())
    g = top_n(g, [ibis.desc(g.month), g.customer_id], limit)
    return [
        CustomerMonth(
            int(r["customer_id"]),
            r["month"].strftime("%Y-%m"),
            int(r["orders"]),
            store.money(r["revenue"]),
        )
        for r in g.to_pyarrow().to_pylist()
    ]
