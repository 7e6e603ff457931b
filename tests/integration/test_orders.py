"""Orders on SQLite and PostgreSQL: totals, products, first deal, lifecycle, follow-up lists."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from regulars.bootstrap import App
from regulars.domain.errors import (
    Conflict,
    InvalidMoney,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from regulars.domain.orders import OrderStatus
from regulars.services.businesses import ensure_business
from regulars.services.context import BusinessContext
from regulars.services.order_queries import list_orders, show_order, stuck_orders, unpaid_orders
from regulars.services.orders import change_order_status, record_order
from regulars.services.products import find_product, list_products
from regulars.store.tables import Order, Product
from tests.fixtures.orders import first_deal_on, make_customer

S = OrderStatus
NOW = datetime(2024, 6, 15, 3, 0, tzinfo=UTC)


def _count(app: App, model: type[Order] | type[Product]) -> int:
    with app.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def test_an_order_keeps_its_lines_and_totals(app: App, ctx: BusinessContext) -> None:
    cid = make_customer(app, ctx, external_id="C-1")
    made = record_order(
        app.uow(),
        ctx=ctx,
        customer_id="C-1",
        lines=[("TEA-01", Decimal(2), Decimal(45000)), ("RICE", "1.5", "120000", "Rice 1kg")],
        store="Quận 1",
        channel="store",
        external_id="PO-1",
    )
    order = show_order(app.uow(), ctx=ctx, order_id="PO-1")
    assert order == made
    assert order.customer_id == cid and order.currency == "VND"
    assert order.total == Decimal(270000)
    assert [(x.sku, x.quantity, x.unit_price, x.line_total) for x in order.lines] == [
        ("TEA-01", Decimal(2), Decimal(45000), Decimal(90000)),
        ("RICE", Decimal("1.5"), Decimal(120000), Decimal(180000)),
    ]
    assert (order.store, order.channel, order.status) == ("Quận 1", "store", S.PLACED)
    assert [(h.from_status, h.to_status) for h in order.history] == [(None, S.PLACED)]
    assert show_order(app.uow(), ctx=ctx, order_id=order.id) == order


def test_line_totals_round_in_the_order_currency(app: App, ctx: BusinessContext) -> None:
    make_customer(app, ctx, external_id="C-1")
    order = record_order(
        app.uow(),
        ctx=ctx,
        customer_id="C-1",
        currency="eur",
        lines=[("CHEESE", "0.333", "1.50"), ("BREAD", 3, "2.10")],
    )
    assert order.currency == "EUR"
    assert [x.line_total for x in order.lines] == [Decimal("0.50"), Decimal("6.30")]
    assert str(order.total) == "6.80"


def test_unknown_skus_become_products_and_known_ones_keep_their_name(
    app: App, ctx: BusinessContext
) -> None:
    make_customer(app, ctx, external_id="C-1")
    record_order(
        app.uow(),
        ctx=ctx,
        customer_id="C-1",
        lines=[("TEA-01", 1, 45000, "Lotus tea", "Tea"), ("TEA-01", 2, 45000), ("CUP", 1, 9000)],
    )
    tea = find_product(app.uow(), ctx=ctx, sku="TEA-01")
    assert (tea.name, tea.category) == ("Lotus tea", "Tea")
    assert find_product(app.uow(), ctx=ctx, sku="CUP").name == "CUP"
    record_order(app.uow(), ctx=ctx, customer_id="C-1", lines=[("TEA-01", 1, 45000, "Green tea")])
    assert find_product(app.uow(), ctx=ctx, sku="TEA-01").name == "Lotus tea"
    assert [p.sku for p in list_products(app.uow(), ctx=ctx)] == ["CUP", "TEA-01"]


def test_first_deal_is_the_local_date_of_the_earliest_order(app: App, ctx: BusinessContext) -> None:
    cid = make_customer(app, ctx)
    assert first_deal_on(app, cid) is None
    # 18:30 UTC on 1 March is already 2 March in Ho Chi Minh City (UTC+7).
    late = record_order(
        app.uow(),
        ctx=ctx,
        customer_id=cid,
        lines=[("A", 1, 1000)],
        placed_at=datetime(2024, 3, 1, 18, 30, tzinfo=UTC),
    )
    assert first_deal_on(app, cid) == date(2024, 3, 2)
    record_order(app.uow(), ctx=ctx, customer_id=cid, lines=[("A", 1, 1000)], placed_at=NOW)
    assert first_deal_on(app, cid) == date(2024, 3, 2)
    early = record_order(
        app.uow(),
        ctx=ctx,
        customer_id=cid,
        lines=[("A", 1, 1000)],
        placed_at=datetime(2023, 12, 31, 20, 0, tzinfo=UTC),
    )
    assert first_deal_on(app, cid) == date(2024, 1, 1)
    # A cancelled order was never a deal: the first deal moves to the next one.
    change_order_status(app.uow(), ctx=ctx, order_id=early.id, status="cancelled")
    assert first_deal_on(app, cid) == date(2024, 3, 2)
    assert late.id != early.id


def test_a_first_deal_set_by_hand_is_kept(app: App, ctx: BusinessContext) -> None:
    cid = make_customer(app, ctx, first_deal_on=date(2019, 5, 1), first_deal_overridden=True)
    record_order(
        app.uow(),
        ctx=ctx,
        customer_id=cid,
        lines=[("A", 1, 1000)],
        placed_at=datetime(2018, 1, 1, tzinfo=UTC),
    )
    assert first_deal_on(app, cid) == date(2019, 5, 1)


def test_every_stage_is_kept_with_time_note_and_location(app: App, ctx: BusinessContext) -> None:
    cid = make_customer(app, ctx)
    placed = NOW - timedelta(days=5)
    order = record_order(
        app.uow(), ctx=ctx, customer_id=cid, lines=[("A", 1, 1000)], placed_at=placed
    )
    steps = [
        (S.CONFIRMED, "called the customer", None),
        (S.PAID, None, None),
        (S.SHIPPED, None, "Hà Nội hub"),
        (S.DELIVERED, "left with the neighbour", None),
    ]
    for day, (status, note, location) in enumerate(steps, start=1):
        change_order_status(
            app.uow(),
            ctx=ctx,
            order_id=order.id,
            status=status,
            note=note,
            location=location,
            at=placed + timedelta(days=day),
        )
    shown = show_order(app.uow(), ctx=ctx, order_id=order.id)
    assert shown.status == S.DELIVERED
    assert shown.status_changed_at == placed + timedelta(days=4)
    assert [(h.from_status, h.to_status, h.note, h.location) for h in shown.history] == [
        (None, S.PLACED, None, None),
        (S.PLACED, S.CONFIRMED, "called the customer", None),
        (S.CONFIRMED, S.PAID, None, None),
        (S.PAID, S.SHIPPED, None, "Hà Nội hub"),
        (S.SHIPPED, S.DELIVERED, "left with the neighbour", None),
    ]
    assert [h.at for h in shown.history] == [placed + timedelta(days=d) for d in range(5)]
    assert shown.location == "Hà Nội hub"


def test_a_refused_move_leaves_the_order_as_it_was(app: App, ctx: BusinessContext) -> None:
    cid = make_customer(app, ctx)
    order = record_order(
        app.uow(), ctx=ctx, customer_id=cid, lines=[("A", 1, 1000)], status="delivered"
    )
    with pytest.raises(InvalidTransition) as info:
        change_order_status(app.uow(), ctx=ctx, order_id=order.id, status="paid", note="oops")
    assert "returned, partly_refunded, refunded" in info.value.message
    with pytest.raises(ValidationError):
        change_order_status(
            app.uow(),
            ctx=ctx,
            order_id=order.id,
            status="returned",
            at=order.placed_at - timedelta(hours=1),
        )
    assert show_order(app.uow(), ctx=ctx, order_id=order.id) == order


def test_bad_orders_are_refused_whole(app: App, ctx: BusinessContext) -> None:
    cid = make_customer(app, ctx)
    survivor = make_customer(app, ctx, "Survivor")
    merged = make_customer(app, ctx, "Merged", status="merged", merged_into_id=survivor)
    good = ("NEW-SKU", 1, 1000)
    cases: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"lines": [good, ("B", 0, 1000)]}, ValidationError, "line 2"),
        ({"lines": [good, ("B", 1, "1000.5")]}, InvalidMoney, "line 2"),
        ({"lines": [("B", 1, -5)]}, InvalidMoney, "negative"),
        ({"lines": []}, ValidationError, "at least one line"),
        ({"lines": [good], "customer_id": merged}, ValidationError, f"into customer {survivor}"),
        ({"lines": [good], "customer_id": 999_999}, NotFound, "999999"),
        ({"lines": [good], "currency": "XQZ"}, InvalidMoney, "XQZ"),
        ({"lines": [good], "placed_at": datetime(2024, 1, 1)}, ValidationError, "time zone"),
        (
            {"lines": [good], "placed_at": datetime.now(UTC) + timedelta(days=1)},
            ValidationError,
            "future",
        ),
        ({"lines": [good], "status": "sent"}, ValidationError, "unknown status"),
    ]
    for kwargs, error, words in cases:
        args = {"customer_id": cid, **kwargs}
        with pytest.raises(error) as info:
            record_order(app.uow(), ctx=ctx, **args)  # type: ignore[arg-type]
        assert words in info.value.args[0]
    assert _count(app, Order) == 0 and _count(app, Product) == 0


def test_an_external_id_names_one_order(app: App, ctx: BusinessContext) -> None:
    cid = make_customer(app, ctx)
    first = record_order(app.uow(), ctx=ctx, customer_id=cid, lines=[("A", 1, 1)], external_id="7")
    with pytest.raises(Conflict):
        record_order(app.uow(), ctx=ctx, customer_id=cid, lines=[("A", 1, 1)], external_id="7")
    other = record_order(app.uow(), ctx=ctx, customer_id=cid, lines=[("A", 1, 2)])
    assert show_order(app.uow(), ctx=ctx, order_id="7").id == first.id
    by_number = record_order(
        app.uow(), ctx=ctx, customer_id=cid, lines=[("A", 1, 3)], external_id=str(other.id)
    )
    with pytest.raises(Conflict) as info:
        show_order(app.uow(), ctx=ctx, order_id=str(other.id))
    assert f"id:{other.id}" in info.value.message
    assert show_order(app.uow(), ctx=ctx, order_id=f"id:{other.id}").id == other.id
    assert show_order(app.uow(), ctx=ctx, order_id=f"ext:{other.id}").id == by_number.id


def _order_at(app: App, ctx: BusinessContext, cid: int, days_ago: float, *moves: S) -> int:
    placed = NOW - timedelta(days=days_ago)
    order = record_order(
        app.uow(), ctx=ctx, customer_id=cid, lines=[("A", 1, 1000)], placed_at=placed
    )
    for i, status in enumerate(moves, start=1):
        change_order_status(
            app.uow(), ctx=ctx, order_id=order.id, status=status, at=placed + timedelta(hours=i)
        )
    return order.id


def test_unpaid_orders_are_those_waiting_for_money(app: App, ctx: BusinessContext) -> None:
    cid = make_customer(app, ctx, "Trần Thị Bình")
    old = _order_at(app, ctx, cid, 10)
    confirmed = _order_at(app, ctx, cid, 5, S.CONFIRMED)
    _order_at(app, ctx, cid, 12, S.PAID)
    _order_at(app, ctx, cid, 9, S.CANCELLED)
    _order_at(app, ctx, cid, 1)
    rows = unpaid_orders(app.uow(), ctx=ctx, older_than_days=3, now=NOW)
    assert [(r.id, r.status, r.days_unpaid) for r in rows] == [
        (old, S.PLACED, 10),
        (confirmed, S.CONFIRMED, 5),
    ]
    assert rows[0].customer_name == "Trần Thị Bình" and rows[0].total == Decimal(1000)
    assert [r.id for r in unpaid_orders(app.uow(), ctx=ctx, older_than_days=7, now=NOW)] == [old]
    with pytest.raises(ValidationError):
        unpaid_orders(app.uow(), ctx=ctx, older_than_days=-1)


def test_stuck_orders_rest_in_an_open_stage(app: App, ctx: BusinessContext) -> None:
    cid = make_customer(app, ctx)
    placed = NOW - timedelta(days=20)
    shipped = record_order(
        app.uow(), ctx=ctx, customer_id=cid, lines=[("A", 1, 1)], placed_at=placed
    )
    change_order_status(
        app.uow(),
        ctx=ctx,
        order_id=shipped.id,
        status=S.SHIPPED,
        location="Đà Nẵng depot",
        at=NOW - timedelta(days=10),
    )
    returned = _order_at(app, ctx, cid, 30, S.DELIVERED, S.RETURNED)
    _order_at(app, ctx, cid, 30, S.DELIVERED)
    _order_at(app, ctx, cid, 30, S.DELIVERED, S.PARTLY_REFUNDED)
    _order_at(app, ctx, cid, 30, S.CANCELLED)
    _order_at(app, ctx, cid, 2, S.PACKED)
    rows = stuck_orders(app.uow(), ctx=ctx, older_than_days=7, now=NOW)
    assert [(r.id, r.status, r.days_stuck, r.location) for r in rows] == [
        (returned, S.RETURNED, 29, None),
        (shipped.id, S.SHIPPED, 10, "Đà Nẵng depot"),
    ]
    assert len(stuck_orders(app.uow(), ctx=ctx, older_than_days=1, now=NOW)) == 3


def test_list_orders_newest_first_by_customer_and_status(app: App, ctx: BusinessContext) -> None:
    a = make_customer(app, ctx, "A", external_id="C-A")
    b = make_customer(app, ctx, "B")
    a1 = _order_at(app, ctx, a, 3)
    a2 = _order_at(app, ctx, a, 1, S.PAID)
    b1 = _order_at(app, ctx, b, 2)
    assert [o.id for o in list_orders(app.uow(), ctx=ctx)] == [a2, b1, a1]
    assert [o.id for o in list_orders(app.uow(), ctx=ctx, customer="C-A")] == [a2, a1]
    assert [o.id for o in list_orders(app.uow(), ctx=ctx, status="placed")] == [b1, a1]
    assert [o.id for o in list_orders(app.uow(), ctx=ctx, limit=1)] == [a2]


def test_businesses_never_see_each_other_s_orders(app: App, ctx: BusinessContext) -> None:
    other = ensure_business(
        app.uow(), slug="other", default_currency="THB", timezone="Asia/Bangkok"
    )
    mine = make_customer(app, ctx, external_id="C-1")
    theirs = make_customer(app, other, external_id="C-1")
    my_order = record_order(
        app.uow(),
        ctx=ctx,
        customer_id="C-1",
        lines=[("TEA", 1, 45000, "Trà")],
        external_id="PO-1",
        placed_at=NOW - timedelta(days=10),
    )
    their_order = record_order(
        app.uow(),
        ctx=other,
        customer_id="C-1",
        lines=[("TEA", 1, "99.50", "ชา")],
        external_id="PO-1",
        placed_at=NOW - timedelta(days=10),
    )
    assert (my_order.customer_id, their_order.customer_id) == (mine, theirs)
    assert (my_order.total, my_order.currency) == (Decimal(45000), "VND")
    assert (their_order.total, their_order.currency) == (Decimal("99.50"), "THB")
    assert show_order(app.uow(), ctx=other, order_id="PO-1").id == their_order.id
    assert find_product(app.uow(), ctx=ctx, sku="TEA").name == "Trà"
    assert find_product(app.uow(), ctx=other, sku="TEA").name == "ชา"
    with pytest.raises(NotFound):
        show_order(app.uow(), ctx=other, order_id=my_order.id)
    with pytest.raises(NotFound):
        change_order_status(app.uow(), ctx=other, order_id=my_order.id, status="paid")
    with pytest.raises(NotFound):
        record_order(app.uow(), ctx=other, customer_id=mine, lines=[("X", 1, 1)])
    assert [o.id for o in list_orders(app.uow(), ctx=other)] == [their_order.id]
    assert [o.id for o in unpaid_orders(app.uow(), ctx=other, older_than_days=1)] == [
        their_order.id
    ]
    assert [o.id for o in stuck_orders(app.uow(), ctx=ctx, older_than_days=1)] == [my_order.id]
    assert show_order(app.uow(), ctx=ctx, order_id=my_order.id).status == S.PLACED
