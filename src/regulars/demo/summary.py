"""What the demo built: counts read back from the database, figures from the written arrays.

Counting rows in the database proves they arrived; the figures (concentration, key accounts,
lapsed regulars, this week's birthdays, follow-ups) are computed from exactly the arrays that
were written, which takes a moment instead of a minute of aggregation over millions of rows.
The integration tests recompute them with plain SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, func, select

from regulars.demo.calendar import US_PER_DAY, Calendar
from regulars.demo.customers import LAPSED_MIN_QUIET
from regulars.demo.identity import Contacts, Names
from regulars.demo.load import table_of
from regulars.demo.orders import STATUSES
from regulars.demo.reach import Reach
from regulars.domain.orders import UNPAID, OrderStatus
from regulars.store.tables import (
    Business,
    Contact,
    Customer,
    Department,
    Order,
    OrderLine,
    Product,
    StaffUser,
)

if TYPE_CHECKING:
    from regulars.demo.build import Plan

FOLLOW_UP_DAYS = 7  # unpaid or stuck for this long is worth a call
STUCK = frozenset({OrderStatus.PAID, OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.RETURNED})
LAPSED_MIN_ORDERS = 5
LAPSED_MIN_SPAN_DAYS = 180


@dataclass
class KeyAccountShare:
    id: int
    name: str
    share: float


@dataclass
class DemoSummary:
    business: str
    slug: str
    seed: int
    today: date
    currency: str
    customers: int
    people: int
    companies: int
    contacts: int
    orders: int
    order_lines: int
    products: int
    departments: int
    managers: int
    revenue_minor: int
    first_order: date | None
    last_order: date | None
    top20_share: float
    key_accounts: list[KeyAccountShare]
    lapsed: int
    birthdays_this_week: int
    company_birthdays_this_week: int
    first_deal_anniversaries_this_week: int
    unpaid: int
    stuck: int
    shared_phones: int
    seconds: float = 0.0
    next_steps: list[str] = field(default_factory=list)


def _count(conn: Connection, model: type, tenant: int, *where: Any) -> int:
    t = table_of(model)
    q = select(func.count()).select_from(t).where(t.c.tenant_id == tenant, *where)
    return int(conn.execute(q).scalar_one())


def summarize(
    conn: Connection,
    tenant: int,
    *,
    seed: int,
    plan: Plan,
    totals: np.ndarray,
    contacts: Contacts,
    names: Names,
    reach: Reach,
    first_customer_id: int,
) -> DemoSummary:
    c, o, cal = plan.customers, plan.orders, plan.cal
    b = conn.execute(select(table_of(Business)).where(Business.id == tenant)).one()
    customers = table_of(Customer)
    people = _count(conn, Customer, tenant, customers.c.kind == "person")
    companies = _count(conn, Customer, tenant, customers.c.kind == "company")
    revenue = o.revenue
    spend = np.zeros(c.n, dtype=np.int64)
    np.add.at(spend, o.customer[revenue], totals[revenue])
    total = int(spend.sum())
    ranked = np.sort(spend[spend > 0])[::-1]
    top20 = float(ranked[: int(np.ceil(0.2 * len(ranked)))].sum() / total) if total else 0.0
    keys = np.flatnonzero(spend * 10 > total) if total else np.array([], dtype=np.int64)
    keys = keys[np.argsort(-spend[keys], kind="stable")]
    week = _week(cal.today)
    cutoff = cal.as_of_us - FOLLOW_UP_DAYS * US_PER_DAY
    status = np.array([str(s) for s in STATUSES])[o.status]
    deal = first_deal_dates(plan)
    return DemoSummary(
        business=b.name,
        slug=b.slug,
        seed=seed,
        today=cal.today,
        currency=b.default_currency,
        customers=people + companies,
        people=people,
        companies=companies,
        contacts=_count(conn, Contact, tenant),
        orders=_count(conn, Order, tenant),
        order_lines=_count(conn, OrderLine, tenant),
        products=_count(conn, Product, tenant),
        departments=_count(conn, Department, tenant),
        managers=_count(conn, StaffUser, tenant, table_of(StaffUser).c.role == "manager"),
        revenue_minor=total,
        first_order=_local_date(cal, int(o.placed_us.min())) if o.m else None,
        last_order=_local_date(cal, int(o.placed_us.max())) if o.m else None,
        top20_share=round(top20, 4),
        key_accounts=[
            KeyAccountShare(
                first_customer_id + int(k), str(names.display[k]), round(spend[k] / total, 4)
            )
            for k in keys
        ],
        lapsed=_lapsed(plan, revenue),
        birthdays_this_week=_in_week(c.birthday, week) + _in_week(contacts.birthday, week),
        company_birthdays_this_week=_in_week(c.founded, week),
        first_deal_anniversaries_this_week=_in_week(deal, week, before_year=cal.today.year),
        unpaid=int((np.isin(status, sorted(UNPAID)) & (o.placed_us <= cutoff)).sum()),
        stuck=int((np.isin(status, sorted(STUCK)) & (o.changed_us <= cutoff)).sum()),
        shared_phones=_shared(reach.phones["e164"], reach.phones["customer"]),
    )


def _local_date(cal: Calendar, us: int) -> date:
    return cal.date_of(int(np.searchsorted(cal.day_start_us, us, side="right")) - 1)


def first_deal_dates(plan: Plan) -> np.ndarray:
    """Local date of each customer's first order (NaT for those who never bought)."""
    cal = plan.cal
    day = np.searchsorted(cal.day_start_us, plan.first_us, side="right") - 1
    deal = np.datetime64(cal.start, "D") + day.astype("timedelta64[D]")
    return np.where(plan.customers.n_orders > 0, deal, np.datetime64("NaT"))


def _lapsed(plan: Plan, revenue: np.ndarray) -> int:
    """Bought at least 5 times over half a year or more, then nothing for 120 days."""
    o, n = plan.orders, plan.customers.n
    who, when = o.customer[revenue], o.placed_us[revenue]
    count = np.bincount(who, minlength=n)
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.zeros(n, dtype=np.int64)
    np.minimum.at(first, who, when)
    np.maximum.at(last, who, when)
    quiet = plan.cal.as_of_us - LAPSED_MIN_QUIET * US_PER_DAY
    span = (last - first) >= LAPSED_MIN_SPAN_DAYS * US_PER_DAY
    return int(((count >= LAPSED_MIN_ORDERS) & (last <= quiet) & span).sum())


def _week(today: date) -> set[tuple[int, int]]:
    """Month and day of today and the six days after it."""
    return {((today + timedelta(days=d)).month, (today + timedelta(days=d)).day) for d in range(7)}


def _in_week(days: np.ndarray, week: set[tuple[int, int]], before_year: int | None = None) -> int:
    """Dates whose month and day fall in the coming week (29 February counts on the 28th)."""
    d = days[~np.isnat(days)].astype("datetime64[D]")
    year = d.astype("datetime64[Y]")
    month = (d.astype("datetime64[M]") - year.astype("datetime64[M]")).astype(int) + 1
    day = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(int) + 1
    if (2, 29) not in week:
        day = np.where((month == 2) & (day == 29), 28, day)
    hit = np.zeros(len(d), dtype=bool)
    for m, dd in week:
        hit |= (month == m) & (day == dd)
    if before_year is not None:
        hit &= year.astype(int) + 1970 < before_year
    return int(hit.sum())


def _shared(e164: np.ndarray, customer: np.ndarray) -> int:
    """Phone numbers held by more than one customer: the likely duplicates."""
    pairs = {(str(p), int(c)) for p, c in zip(e164.tolist(), customer.tolist(), strict=True)}
    seen: dict[str, int] = {}
    for p, _ in pairs:
        seen[p] = seen.get(p, 0) + 1
    return sum(1 for k in seen.values() if k > 1)
