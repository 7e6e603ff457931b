"""What the demo built, read back from the database (not from the generator's memory).

Reading it back is the proof: the figures a user sees after `regulars demo` are what
`regulars customers list` and the analytics will find.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, distinct, func, select

from regulars.demo.customers import LAPSED_MIN_QUIET
from regulars.domain.orders import REVENUE, UNPAID, OrderStatus
from regulars.store.tables import (
    Business,
    Contact,
    Customer,
    Department,
    Order,
    OrderLine,
    Phone,
    Product,
    StaffUser,
)

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


def _count(conn: Connection, table: type, tenant: int, *where: object) -> int:
    t = table.__table__  # type: ignore[attr-defined]
    q = select(func.count()).select_from(t).where(t.c.tenant_id == tenant, *where)
    return int(conn.execute(q).scalar_one())


def summarize(conn: Connection, tenant: int, *, seed: int, today: date) -> DemoSummary:
    b = conn.execute(select(Business.__table__).where(Business.id == tenant)).one()
    tz = ZoneInfo(b.timezone)
    as_of = datetime.combine(today, datetime.min.time(), tzinfo=tz).astimezone(UTC)
    week = _week(today)
    o = Order.__table__
    per = conn.execute(
        select(
            o.c.customer_id,
            func.sum(o.c.total_minor),
            func.count(),
            func.min(o.c.placed_at),
            func.max(o.c.placed_at),
        )
        .where(o.c.tenant_id == tenant, o.c.status.in_(sorted(REVENUE)))
        .group_by(o.c.customer_id)
    ).all()
    spend = np.array([int(r[1]) for r in per], dtype=np.int64)
    revenue = int(spend.sum())
    ranked = np.sort(spend)[::-1]
    top = int(np.ceil(0.2 * len(ranked)))
    top20 = float(ranked[:top].sum() / revenue) if revenue else 0.0
    quiet = as_of - timedelta(days=LAPSED_MIN_QUIET)
    lapsed = sum(
        1
        for r in per
        if r[2] >= LAPSED_MIN_ORDERS
        and r[4] <= quiet
        and (r[4] - r[3]).days >= LAPSED_MIN_SPAN_DAYS
    )
    keys = sorted(
        (
            (int(s), int(r[0]))
            for r, s in zip(per, spend.tolist(), strict=True)
            if revenue and s > revenue / 10
        ),
        reverse=True,
    )
    c = Customer.__table__
    names = dict(
        conn.execute(
            select(c.c.id, c.c.display_name).where(c.c.id.in_([k for _, k in keys]))
        ).all()
    )
    span = conn.execute(
        select(func.min(o.c.placed_at), func.max(o.c.placed_at)).where(o.c.tenant_id == tenant)
    ).one()
    cutoff = as_of - timedelta(days=FOLLOW_UP_DAYS)
    ct = Contact.__table__
    p = Phone.__table__
    shared = conn.execute(
        select(func.count()).select_from(
            select(p.c.e164)
            .where(p.c.tenant_id == tenant)
            .group_by(p.c.e164)
            .having(func.count(distinct(p.c.customer_id)) > 1)
            .subquery()
        )
    ).scalar_one()
    people = _count(conn, Customer, tenant, c.c.kind == "person")
    companies = _count(conn, Customer, tenant, c.c.kind == "company")
    return DemoSummary(
        business=b.name,
        slug=b.slug,
        seed=seed,
        today=today,
        currency=b.default_currency,
        customers=people + companies,
        people=people,
        companies=companies,
        contacts=_count(conn, Contact, tenant),
        orders=_count(conn, Order, tenant),
        order_lines=_count(conn, OrderLine, tenant),
        products=_count(conn, Product, tenant),
        departments=_count(conn, Department, tenant),
        managers=_count(conn, StaffUser, tenant, StaffUser.__table__.c.role == "manager"),
        revenue_minor=revenue,
        first_order=span[0].astimezone(tz).date() if span[0] else None,
        last_order=span[1].astimezone(tz).date() if span[1] else None,
        top20_share=round(top20, 4),
        key_accounts=[KeyAccountShare(k, names[k], round(s / revenue, 4)) for s, k in keys],
        lapsed=lapsed,
        birthdays_this_week=_in_week(conn, c.c.birthday, c.c.tenant_id, tenant, week)
        + _in_week(conn, ct.c.birthday, ct.c.tenant_id, tenant, week),
        company_birthdays_this_week=_in_week(conn, c.c.founded_on, c.c.tenant_id, tenant, week),
        first_deal_anniversaries_this_week=_in_week(
            conn, c.c.first_deal_on, c.c.tenant_id, tenant, week, past_only=today
        ),
        unpaid=_count(conn, Order, tenant, o.c.status.in_(sorted(UNPAID)), o.c.placed_at <= cutoff),
        stuck=_count(
            conn, Order, tenant, o.c.status.in_(sorted(STUCK)), o.c.status_changed_at <= cutoff
        ),
        shared_phones=int(shared),
    )


def _week(today: date) -> set[tuple[int, int]]:
    """Month and day of today and the six days after it."""
    return {((today + timedelta(days=d)).month, (today + timedelta(days=d)).day) for d in range(7)}


def _in_week(
    conn: Connection,
    column: object,
    tenant_col: object,
    tenant: int,
    week: set[tuple[int, int]],
    past_only: date | None = None,
) -> int:
    """Dates whose month and day fall in the coming week (29 February counts on the 28th)."""
    rows = conn.execute(select(column).where(tenant_col == tenant, column.isnot(None)))  # type: ignore[attr-defined, arg-type]
    n = 0
    for (d,) in rows:
        md = (d.month, d.day)
        if md == (2, 29) and md not in week:
            md = (2, 28)
        if md in week and (past_only is None or d.year < past_only.year):
            n += 1
    return n
