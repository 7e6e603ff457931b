"""The store behaves like a real database on both backends: constraints, UTC, exact quantities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from regulars.bootstrap import App
from regulars.services.context import BusinessContext
from regulars.store.tables import Customer, Order, OrderLine, Product


def _customer(ctx: BusinessContext, external_id: str = "C1") -> Customer:
    now = datetime.now(UTC)
    return Customer(
        tenant_id=ctx.tenant_id,
        external_id=external_id,
        kind="person",
        display_name="An",
        name_key="an",
        created_at=now,
        updated_at=now,
    )


def test_foreign_keys_are_enforced(app: App, ctx: BusinessContext) -> None:
    with pytest.raises(IntegrityError), app.uow() as uow:
        now = datetime.now(UTC)
        uow.session.add(
            Order(
                tenant_id=ctx.tenant_id,
                customer_id=999_999,
                currency="VND",
                total_minor=0,
                placed_at=now,
                status="placed",
                status_changed_at=now,
                created_at=now,
            )
        )


def test_external_id_is_unique_per_business(app: App, ctx: BusinessContext) -> None:
    with app.uow() as uow:
        uow.session.add(_customer(ctx))
    with pytest.raises(IntegrityError), app.uow() as uow:
        uow.session.add(_customer(ctx))


def test_times_come_back_as_utc(app: App, ctx: BusinessContext) -> None:
    hanoi = timezone(timedelta(hours=7))
    placed = datetime(2026, 1, 1, 8, 30, tzinfo=hanoi)
    with app.uow() as uow:
        c = _customer(ctx)
        uow.session.add(c)
        uow.session.flush()
        uow.session.add(
            Order(
                tenant_id=ctx.tenant_id,
                customer_id=c.id,
                currency="VND",
                total_minor=0,
                placed_at=placed,
                status="placed",
                status_changed_at=placed,
                created_at=placed,
            )
        )
    with app.uow() as uow:
        got = uow.session.scalar(select(Order.placed_at))
    assert got == placed
    assert got is not None and got.utcoffset() == timedelta(0)
    assert got.hour == 1


def test_quantities_round_trip_exactly(app: App, ctx: BusinessContext) -> None:
    now = datetime.now(UTC)
    with app.uow() as uow:
        c = _customer(ctx)
        p = Product(tenant_id=ctx.tenant_id, sku="RICE", name="Rice")
        uow.session.add_all([c, p])
        uow.session.flush()
        o = Order(
            tenant_id=ctx.tenant_id,
            customer_id=c.id,
            currency="VND",
            total_minor=0,
            placed_at=now,
            status="placed",
            status_changed_at=now,
            created_at=now,
        )
        uow.session.add(o)
        uow.session.flush()
        for i, q in enumerate(["0.001", "2.5", "1234567.125"]):
            uow.session.add(
                OrderLine(
                    tenant_id=ctx.tenant_id,
                    order_id=o.id,
                    line_no=i,
                    product_id=p.id,
                    quantity=Decimal(q),
                    unit_price_minor=1,
                    line_total_minor=1,
                )
            )
    with app.uow() as uow:
        got = list(uow.session.scalars(select(OrderLine.quantity).order_by(OrderLine.line_no)))
    assert got == [Decimal("0.001"), Decimal("2.500"), Decimal("1234567.125")]


def test_rolled_back_unit_of_work_leaves_nothing(app: App, ctx: BusinessContext) -> None:
    with pytest.raises(RuntimeError), app.uow() as uow:
        uow.session.add(_customer(ctx))
        uow.session.flush()
        raise RuntimeError("crash mid-write")
    with app.uow() as uow:
        assert uow.session.scalar(text("select count(*) from customers")) == 0
