"""`build_demo`: generate the whole business in memory, then bulk-load it, table by table.

Safety first: a database that holds a real (non-demo) business with data is refused, never
touched; an earlier demo is removed (only its own rows) and rebuilt. Ids are assigned before
writing (first free id of each table + position), so a fresh database built with the same
seed and the same "today" is the same database, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from time import perf_counter
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, Engine, exists, select, update

from regulars.demo import catalog as C
from regulars.demo.calendar import US_PER_S, Calendar, make_calendar
from regulars.demo.customers import Customers, plan_customers
from regulars.demo.identity import plan_contacts
from regulars.demo.lines import make_lines
from regulars.demo.load import Progress, table_of, tenant_tables
from regulars.demo.orders import Orders, plan_orders
from regulars.demo.summary import DemoSummary, summarize
from regulars.demo.write import write_all
from regulars.domain.errors import Conflict, ValidationError
from regulars.store.tables import Business

DEFAULT_CUSTOMERS = 2000
DEFAULT_SEED = 42
MIN_CUSTOMERS = 100  # below this, four key accounts and the Pareto shape cannot both hold


class DemoRefused(Conflict):
    """The database holds real data: the demo never overwrites it."""

    code = "demo_refused"


@dataclass
class Plan:
    """Everything generated, before it is written."""

    cal: Calendar
    customers: Customers
    orders: Orders
    first_us: np.ndarray  # per customer: first order (or sign-up), UTC µs
    last_us: np.ndarray
    created_us: np.ndarray


def build_demo(
    engine: Engine,
    *,
    slug: str,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Build (or rebuild) the demo business `slug` and return what it contains."""
    if customers < MIN_CUSTOMERS:
        raise ValidationError(f"the demo needs at least {MIN_CUSTOMERS} customers")
    started = perf_counter()
    today = today or datetime.now(ZoneInfo(C.TIMEZONE)).date()
    tenant, earlier = prepare_business(engine, slug=slug, today=today)
    seeds = np.random.SeedSequence(seed).spawn(8)  # one stream per part: parts stay independent
    streams = [np.random.Generator(np.random.PCG64(s)) for s in seeds]
    cal = make_calendar(today, C.TIMEZONE)
    c = plan_customers(customers, cal, streams[0])
    o = plan_orders(c, cal, streams[1])
    lines, totals = make_lines(o, c, streams[2])
    plan = _arrival_order(cal, c, o, streams[3])
    if progress:
        progress("customers and orders drawn", c.n, c.n)
    contacts = plan_contacts(c, cal, streams[3])
    names, reach, first_customer_id = write_all(
        engine,
        tenant=tenant,
        clear=earlier,
        seed=seed,
        plan=plan,
        contacts=contacts,
        lines=lines,
        totals=totals,
        streams=streams,
        progress=progress,
    )
    with engine.connect() as conn:
        summary = summarize(
            conn,
            tenant,
            seed=seed,
            plan=plan,
            totals=totals,
            contacts=contacts,
            names=names,
            reach=reach,
            first_customer_id=first_customer_id,
        )
    summary.seconds = round(perf_counter() - started, 2)
    return summary


def _arrival_order(cal: Calendar, c: Customers, o: Orders, rng: np.random.Generator) -> Plan:
    """Customer ids follow the order in which customers arrived (their first order)."""
    first = np.full(c.n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, o.customer, o.placed_us)
    last = np.zeros(c.n, dtype=np.int64)
    np.maximum.at(last, o.customer, o.placed_us)
    buyer = c.n_orders > 0
    signed_up = cal.as_of_us - (rng.uniform(1, 90, c.n) * 86_400).astype(np.int64) * US_PER_S
    created = np.where(buyer, first - rng.integers(60, 1800, c.n) * US_PER_S, signed_up)
    first = np.where(buyer, first, created)
    last = np.where(buyer, last, created)
    order = np.argsort(created, kind="stable")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(c.n)
    c.take(order)
    o.customer = inverse[o.customer]
    return Plan(cal, c, o, first[order], last[order], created[order])


def prepare_business(engine: Engine, *, slug: str, today: date) -> tuple[int, bool]:
    """Refuse real data; create or reset the demo business row.

    Returns the business id and whether an earlier demo's rows are still there to clear (the
    load clears them once the checks that would make that slow are set aside).
    """
    with engine.begin() as conn:
        t = table_of(Business)
        rows = conn.execute(select(t)).all()
        for b in rows:
            if not b.is_demo and _has_data(conn, b.id):
                raise DemoRefused(
                    f"this database holds the real business {b.slug!r} with data; "
                    "`regulars demo` never overwrites real data: use an empty database "
                    "(e.g. --db sqlite:///demo.db)"
                )
        values = {
            "name": C.BUSINESS_NAME,
            "default_region": C.REGION,
            "default_currency": C.CURRENCY,
            "default_language": C.LANGUAGE,
            "timezone": C.TIMEZONE,
            "is_demo": True,
            "created_at": _opened(today),
        }
        mine = next((b for b in rows if b.slug == slug), None)
        if mine is None:
            created = conn.execute(t.insert().values(slug=slug, **values)).inserted_primary_key
            assert created is not None
            return int(created[0]), False
        conn.execute(update(t).where(t.c.id == mine.id).values(**values))
        return int(mine.id), True


def _opened(today: date) -> datetime:
    """The business opened a little before its history starts (deterministic)."""
    start = date(today.year - 2, 1, 1) - timedelta(days=90)
    return datetime.combine(start, datetime.min.time(), tzinfo=ZoneInfo(C.TIMEZONE))


def _has_data(conn: Connection, tenant: int) -> bool:
    return any(
        conn.execute(select(exists().where(t.c.tenant_id == tenant))).scalar()
        for t in tenant_tables()
    )
