"""Each customer's share of revenue within a group: the company, a department or a manager.

Shared by key accounts and dependency alarms, so both read the same numbers. A customer belongs
to the department and the manager written on their dossier (customers without one are only
counted for the company).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import ibis
import ibis.expr.types as ir

from regulars.analytics.backend import Store
from regulars.analytics.facts import YEAR, revenue_by_customer

Level = Literal["company", "department", "manager"]
LEVELS: tuple[Level, ...] = ("company", "department", "manager")


def group_shares(store: Store, as_of: date, level: Level) -> ir.Table:
    """group_id, customer_id, revenue (last 365 days), total, share, rank (0 = largest);
    computed once per snapshot (key accounts, warnings and dependency all read it)."""
    return store.shared(("group_shares", as_of, level), lambda: _shares(store, as_of, level))


def _shares(store: Store, as_of: date, level: Level) -> ir.Table:
    rev = revenue_by_customer(store, as_of - timedelta(days=YEAR), as_of)
    c = store.customers()
    j = rev.join(c, rev.customer_id == c.customer_id)
    if level == "company":
        key = ibis.literal(0, type="int64")
    elif level == "department":
        key = j.department_id.cast("int64")
    else:
        key = j.manager_id.cast("int64")
    g = j.select(group_id=key, customer_id=j.customer_id, revenue=j.revenue)
    g = g.filter(g.group_id.notnull())
    in_group = ibis.window(group_by=g.group_id)
    ranked = ibis.window(group_by=g.group_id, order_by=[ibis.desc(g.revenue), g.customer_id])
    g = g.mutate(total=g.revenue.sum().over(in_group), rank=ibis.row_number().over(ranked))
    return g.mutate(share=g.revenue.cast("float64") / g.total.cast("float64"))


def group_names(store: Store, level: Level) -> dict[int, str]:
    """Readable names of the groups of a level (department name, manager e-mail)."""
    if level == "company":
        return {0: "company"}
    if level == "department":
        d = store.departments()
        return {int(r["department_id"]): r["department"] for r in d.to_pyarrow().to_pylist()}
    s = store.staff()
    return {int(r["manager_id"]): r["email"] for r in s.to_pyarrow().to_pylist()}


def customer_names(store: Store, ids: list[int]) -> dict[int, str]:
    """Display names of a few customers (for the rows of a report)."""
    if not ids:
        return {}
    c = store.customers()
    c = c.filter(c.customer_id.isin(ids)).select("customer_id", "name")
    return {int(r["customer_id"]): r["name"] for r in c.to_pyarrow().to_pylist()}
