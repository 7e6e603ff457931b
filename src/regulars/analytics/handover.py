"""When a manager leaves: the revenue of customers whose only relationship with the business
is that manager, and who should take them over.

A customer's relationships are their responsible manager plus every other member of staff
who wrote a note about them, recorded their consent or moved one of their orders. Customers
with nobody but their manager are at risk. The suggested successor is the active colleague
(same department first) who already knows most of these customers, then the one with the
fewest customers of their own (capacity).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from regulars.analytics.backend import Store
from regulars.analytics.facts import YEAR, revenue_by_customer


@dataclass(frozen=True, slots=True)
class Handover:
    manager_id: int
    manager: str
    department_id: int | None
    customers: int
    revenue: Decimal  # last 365 days, all their customers
    at_risk_customers: int
    at_risk_revenue: Decimal
    successor_id: int | None
    successor: str | None
    successor_knows: int  # how many of the manager's customers the successor already knows


def relationships(store: Store) -> ir.Table:
    """Distinct (customer_id, staff_id) pairs from notes, consents and order status changes."""
    n = store.table("notes")
    n = n.filter(n.author_id.notnull()).select("customer_id", staff_id=n.author_id)
    cs = store.table("consents")
    cs = cs.filter(cs.recorded_by.notnull()).select("customer_id", staff_id=cs.recorded_by)
    ch = store.table("order_status_changes")
    o = store.table("orders")
    ch = ch.filter(ch.by_user.notnull())
    ch = ch.join(o, ch.order_id == o.id).select(o.customer_id, staff_id=ch.by_user)
    parts = [
        t.select(customer_id=t.customer_id.cast("int64"), staff_id=t.staff_id.cast("int64"))
        for t in (n, cs, ch)
    ]
    return parts[0].union(parts[1]).union(parts[2])


def handover(store: Store, as_of: date) -> list[Handover]:
    """One row per manager with customers, the most revenue at risk first."""
    c = store.customers()
    c = c.filter(c.manager_id.notnull()).select(
        "customer_id", manager_id=c.manager_id.cast("int64")
    )
    rev = revenue_by_customer(store, as_of - timedelta(days=YEAR), as_of)
    rel = relationships(store)
    others = rel.join(c, rel.customer_id == c.customer_id).filter(rel.staff_id != c.manager_id)
    known = others.select(others.customer_id, others.manager_id, others.staff_id).distinct()
    has_other = known.select("customer_id").distinct().mutate(other=ibis.literal(1))
    j = c.left_join(rev, c.customer_id == rev.customer_id).left_join(
        has_other, c.customer_id == has_other.customer_id
    )
    j = j.select(c.manager_id, revenue=j.revenue.fill_null(0), alone=j.other.isnull())
    per = j.group_by("manager_id").agg(
        customers=j.count(),
        revenue=j.revenue.sum(),
        at_risk_customers=j.count(where=j.alone),
        at_risk_revenue=j.revenue.sum(where=j.alone),
    )
    rows = per.to_pyarrow().to_pylist()
    links = known.group_by("manager_id", "staff_id").agg(n=known.count()).to_pyarrow().to_pylist()
    staff = {int(s["manager_id"]): s for s in store.staff().to_pyarrow().to_pylist()}
    load = {int(r["manager_id"]): int(r["customers"]) for r in rows}
    knows: dict[int, dict[int, int]] = {}
    for r in links:
        knows.setdefault(int(r["manager_id"]), {})[int(r["staff_id"])] = int(r["n"])
    out = []
    for r in rows:
        m = int(r["manager_id"])
        me = staff.get(m, {})
        succ = _successor(m, me.get("manager_department_id"), staff, load, knows.get(m, {}))
        out.append(
            Handover(
                manager_id=m,
                manager=me.get("email", str(m)),
                department_id=me.get("manager_department_id"),
                customers=int(r["customers"]),
                revenue=store.money(r["revenue"]),
                at_risk_customers=int(r["at_risk_customers"]),
                at_risk_revenue=store.money(r["at_risk_revenue"] or 0),
                successor_id=succ,
                successor=None if succ is None else staff[succ]["email"],
                successor_knows=knows.get(m, {}).get(succ, 0) if succ is not None else 0,
            )
        )
    out.sort(key=lambda h: (-h.at_risk_revenue, -h.revenue, h.manager_id))
    return out


def _successor(
    manager: int,
    department: int | None,
    staff: dict[int, dict],
    load: dict[int, int],
    knows: dict[int, int],
) -> int | None:
    candidates = [s for s, row in staff.items() if s != manager and row["active"]]
    if not candidates:
        return None

    def rank(s: int) -> tuple[int, int, int, int]:
        same = staff[s]["manager_department_id"] == department and department is not None
        return (0 if same else 1, -knows.get(s, 0), load.get(s, 0), s)

    return min(candidates, key=rank)
