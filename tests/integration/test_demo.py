"""The demo business, built into SQLite and PostgreSQL: it shows what it promises.

Every figure is read back with plain SQL here, not taken from the generator, so a demo that
looks right in its own summary but wrong in the database fails.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import JSON, Engine, inspect, select, text

from regulars.bootstrap import App
from regulars.demo import DemoRefused, build_demo
from regulars.domain.contact_points import normalize_email, normalize_phone
from regulars.domain.orders import REVENUE, OrderStatus, check_transition
from regulars.services.businesses import ensure_business
from regulars.store.tables import Base, Business, Customer

N = 300
TODAY = date(2025, 6, 10)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _build(app: App, seed: int = 7, today: date = TODAY, n: int = N) -> object:
    return build_demo(app.engine, slug="default", customers=n, seed=seed, today=today)


def _rows(engine: Engine, sql: str, **params: object) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def _utc(value: object) -> datetime:
    """A timestamp as read by plain SQL: text on SQLite, aware datetime on PostgreSQL."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    assert isinstance(value, datetime)
    return value.astimezone(UTC)


def _day(value: object) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value  # type: ignore[return-value]


def _digest(engine: Engine) -> str:
    h = hashlib.sha256()
    with engine.connect() as conn:
        for t in Base.metadata.sorted_tables:
            keys = [c for c in t.c if not isinstance(c.type, JSON)]
            for row in conn.execute(select(t).order_by(*keys)):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def _coming_week(today: date) -> set[tuple[int, int]]:
    return {((today + timedelta(d)).month, (today + timedelta(d)).day) for d in range(1, 7)}


@pytest.fixture
def built(app: App) -> App:
    _build(app)
    return app


def test_the_demo_has_people_and_companies_in_five_languages(built: App) -> None:
    e = built.engine
    kinds = dict(_rows(e, "select kind, count(*) from customers group by kind"))
    assert kinds["person"] + kinds["company"] == N
    assert kinds["company"] >= 10
    languages = {r[0] for r in _rows(e, "select distinct language from customers")}
    assert languages == {"vi", "en", "th", "es", "fi"}
    levels = {r[0] for r in _rows(e, "select distinct level from contacts")}
    assert {"owner", "ceo", "accountant", "middle_manager", "staff"} <= levels
    stances = {r[0] for r in _rows(e, "select distinct stance from contacts")}
    assert stances == {"supporter", "neutral", "opponent"}
    assert _rows(e, "select count(*) from products where unit_cost_minor > 0")[0][0] >= 40
    (biz,) = _rows(e, "select is_demo, default_currency, timezone from businesses")
    assert bool(biz[0]) and biz[1] == "VND" and biz[2] == "Asia/Ho_Chi_Minh"
    managers = _rows(e, "select count(distinct manager_id) from customers")[0][0]
    assert managers >= 8


def test_revenue_is_concentrated_with_one_key_account_above_ten_percent(built: App) -> None:
    statuses = ", ".join(f"'{s}'" for s in REVENUE)
    rows = _rows(
        built.engine,
        "select o.customer_id, c.kind, sum(o.total_minor) from orders o"
        f" join customers c on c.id = o.customer_id where o.status in ({statuses})"
        " group by o.customer_id, c.kind",
    )
    spend = sorted((int(r[2]) for r in rows), reverse=True)
    total = sum(spend)
    top = -(-len(spend) // 5)
    assert 0.6 <= sum(spend[:top]) / total <= 0.9
    above = [r for r in rows if int(r[2]) > total / 10]
    assert len(above) == 1
    assert above[0][1] == "company"


def test_every_order_total_is_the_sum_of_its_lines(built: App) -> None:
    bad = _rows(
        built.engine,
        "select o.id from orders o left join order_lines l on l.order_id = o.id"
        " group by o.id, o.total_minor"
        " having o.total_minor <> coalesce(sum(l.line_total_minor), -1)",
    )
    assert bad == []
    mismatched = _rows(
        built.engine,
        "select count(*) from order_lines"
        " where line_total_minor <> round(quantity * unit_price_minor)",
    )
    assert mismatched[0][0] == 0


def test_first_deal_is_the_local_date_of_the_first_order(built: App) -> None:
    first = {
        r[0]: _utc(r[1]).astimezone(TZ).date()
        for r in _rows(
            built.engine, "select customer_id, min(placed_at) from orders group by customer_id"
        )
    }
    customers = _rows(built.engine, "select id, first_deal_on from customers")
    for cid, deal in customers:
        assert (_day(deal) if deal else None) == first.get(cid)
    assert any(deal is None for _, deal in customers)  # prospects have not bought yet


def test_regulars_who_stopped_buying_exist(built: App) -> None:
    rows = _rows(
        built.engine,
        "select customer_id, count(*), min(placed_at), max(placed_at) from orders"
        " where status = 'delivered' group by customer_id",
    )
    quiet = datetime.combine(TODAY, datetime.min.time(), tzinfo=TZ) - timedelta(days=120)
    lapsed = [
        r
        for r in rows
        if r[1] >= 5 and _utc(r[3]) < quiet and (_utc(r[3]) - _utc(r[2])).days >= 180
    ]
    assert len(lapsed) >= 5


@pytest.mark.parametrize("today", [TODAY, date(2024, 12, 29)])
def test_birthdays_and_anniversaries_fall_in_the_coming_week(app: App, today: date) -> None:
    _build(app, today=today)
    week = _coming_week(today)
    people = _rows(app.engine, "select birthday from customers where birthday is not null")
    contacts = _rows(app.engine, "select birthday from contacts where birthday is not null")
    founded = _rows(app.engine, "select founded_on from customers where founded_on is not null")
    deals = _rows(app.engine, "select first_deal_on from customers where first_deal_on is not null")

    def in_week(rows: list[tuple[object, ...]]) -> int:
        return sum((_day(r[0]).month, _day(r[0]).day) in week for r in rows)

    assert in_week(people) >= 3
    assert in_week(contacts) >= 1
    assert in_week(founded) >= 1
    assert (
        sum(
            (_day(r[0]).month, _day(r[0]).day) in week and _day(r[0]).year < today.year
            for r in deals
        )
        >= 3
    )
    last = _rows(app.engine, "select max(placed_at) from orders")[0][0]
    assert _utc(last) < datetime.combine(today, datetime.min.time(), tzinfo=TZ)  # no future


def test_unpaid_and_stuck_orders_wait_for_weeks(built: App) -> None:
    now = datetime.combine(TODAY, datetime.min.time(), tzinfo=TZ).astimezone(UTC)
    rows = _rows(built.engine, "select status, placed_at, status_changed_at from orders")
    unpaid = [r for r in rows if r[0] in ("placed", "confirmed") and (now - _utc(r[1])).days >= 14]
    stuck = [
        r for r in rows if r[0] in ("paid", "packed", "shipped") and (now - _utc(r[2])).days >= 10
    ]
    assert len(unpaid) >= 3
    assert len(stuck) >= 3
    mix = defaultdict(int)
    for r in rows:
        mix[r[0]] += 1
    assert mix["delivered"] / len(rows) > 0.8
    assert mix["cancelled"] > 0 and mix["refunded"] + mix["partly_returned"] > 0


def test_each_order_history_follows_the_lifecycle(built: App) -> None:
    orders = {
        r[0]: (r[1], _utc(r[2]))
        for r in _rows(built.engine, "select id, status, status_changed_at from orders")
    }
    history: dict[int, list[tuple[object, ...]]] = defaultdict(list)
    for r in _rows(
        built.engine,
        "select order_id, from_status, to_status, at from order_status_changes"
        " order by order_id, id",
    ):
        history[r[0]].append(r)
    assert set(history) == set(orders)
    for oid, steps in history.items():
        assert steps[0][1] is None and steps[0][2] == "placed"
        for prev, step in pairwise(steps):
            assert step[1] == prev[2]
            check_transition(OrderStatus(prev[2]), OrderStatus(step[2]))
            assert _utc(step[3]) >= _utc(prev[3])
        assert (steps[-1][2], _utc(steps[-1][3])) == orders[oid]


def test_phones_and_emails_are_valid_and_consent_varies(built: App) -> None:
    for (e164,) in _rows(built.engine, "select e164 from phones"):
        assert normalize_phone(str(e164), "VN") == e164
    for (address,) in _rows(built.engine, "select address from emails"):
        assert normalize_email(str(address)) == address
    shared = _rows(
        built.engine,
        "select e164 from phones group by e164 having count(distinct customer_id) > 1",
    )
    assert 1 <= len(shared) <= 5  # planted duplicates, nothing more
    latest: dict[tuple[object, ...], bool] = {}
    withdrawn = 0
    for cid, channel, purpose, granted in _rows(
        built.engine,
        "select customer_id, channel, purpose, granted from consents"
        " where contact_id is null order by customer_id, recorded_at, id",
    ):
        key = (cid, channel, purpose)
        withdrawn += bool(latest.get(key)) and not granted
        latest[key] = bool(granted)
    service = [v for (_, _, p), v in latest.items() if p == "service"]
    marketing = [v for (_, _, p), v in latest.items() if p == "marketing"]
    assert sum(service) / len(service) > 0.9
    assert 0.2 < sum(marketing) / len(marketing) < 0.9
    assert withdrawn >= 1
    notes = _rows(built.engine, "select count(*) from notes where author_id is not null")
    assert notes[0][0] >= 10


def test_a_real_business_is_never_overwritten(app: App) -> None:
    app.ready_schema()
    ctx = ensure_business(app.uow(), slug="default")
    with app.uow() as uow:
        now = datetime.now(UTC)
        uow.session.add(
            Customer(
                tenant_id=ctx.tenant_id,
                kind="person",
                display_name="Real Customer",
                name_key="customer real",
                created_at=now,
                updated_at=now,
            )
        )
    with pytest.raises(DemoRefused, match="never overwrites real data"):
        _build(app)
    assert _rows(app.engine, "select display_name from customers") == [("Real Customer",)]
    with app.uow() as uow:
        assert uow.session.scalar(select(Business.is_demo)) is False


def test_an_empty_business_becomes_the_demo(app: App) -> None:
    app.ready_schema()
    ensure_business(app.uow(), slug="default")
    _build(app, n=120)
    assert _rows(app.engine, "select count(*), max(cast(is_demo as int)) from businesses") == [
        (1, 1)
    ]
    assert _rows(app.engine, "select count(*) from customers")[0][0] == 120


def test_an_earlier_demo_is_rebuilt_not_added_to(built: App) -> None:
    before = _digest(built.engine)
    _build(built, seed=99, n=200)
    assert _rows(built.engine, "select count(*) from customers")[0][0] == 200
    assert _rows(built.engine, "select count(*) from businesses")[0][0] == 1
    _build(built)  # back to the first seed: the very same content as the first build
    assert _digest(built.engine) == before


def test_the_printed_summary_matches_the_database(app: App) -> None:
    s = build_demo(app.engine, slug="default", customers=N, seed=3, today=TODAY)
    e = app.engine
    assert (s.customers, s.orders, s.order_lines) == (
        _rows(e, "select count(*) from customers")[0][0],
        _rows(e, "select count(*) from orders")[0][0],
        _rows(e, "select count(*) from order_lines")[0][0],
    )
    statuses = ", ".join(f"'{x}'" for x in REVENUE)
    per = dict(
        _rows(
            e,
            "select customer_id, sum(total_minor) from orders"
            f" where status in ({statuses}) group by customer_id",
        )
    )
    total = sum(int(v) for v in per.values())
    assert s.revenue_minor == total
    (key,) = s.key_accounts
    assert key.share == pytest.approx(int(per[key.id]) / total, abs=1e-4)
    assert _rows(e, "select display_name from customers where id = :i", i=key.id)[0][0] == key.name
    cutoff = datetime.combine(TODAY, datetime.min.time(), tzinfo=TZ) - timedelta(days=7)
    unpaid = [
        r
        for r in _rows(e, "select status, placed_at from orders")
        if r[0] in ("placed", "confirmed") and _utc(r[1]) <= cutoff
    ]
    assert s.unpaid == len(unpaid)
    assert s.first_order is not None and s.last_order is not None
    assert TODAY - timedelta(days=30) <= s.last_order < TODAY


def test_every_reference_points_at_a_row_and_indexes_are_back(built: App) -> None:
    e = built.engine
    if e.dialect.name == "sqlite":
        assert _rows(e, "pragma foreign_key_check") == []
        assert _rows(e, "pragma foreign_keys") == [(1,)]  # the load switched it off, not us
    else:
        unchecked = "select count(*) from pg_constraint where contype = 'f' and not convalidated"
        assert _rows(e, unchecked) == [(0,)]
    found = inspect(e)
    for table in Base.metadata.sorted_tables:
        expected = {str(ix.name) for ix in table.indexes}
        assert expected <= {str(ix["name"]) for ix in found.get_indexes(table.name)}, table.name
