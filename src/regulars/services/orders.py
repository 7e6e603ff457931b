"""Recording orders and moving them through their lifecycle, with every stage kept.

Reading them back (one order, lists, unpaid, stuck) lives in `order_queries`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regulars.domain.errors import Conflict, InvalidMoney, ValidationError
from regulars.domain.money import normalize_currency, parse_amount, to_minor
from regulars.domain.orders import OrderStatus, check_transition, parse_quantity, parse_status
from regulars.services.context import BusinessContext
from regulars.services.loyalty.order_events import on_order_status
from regulars.services.order_queries import (
    OrderDetails,
    find_customer,
    find_order,
    order_details,
)
from regulars.services.products import clean_sku, clean_text, products_for_lines
from regulars.store.tables import Customer, Order, OrderLine, OrderStatusChange
from regulars.store.uow import UnitOfWork

# A clock a little ahead of ours (a till, a phone) is fine; an order dated next year is a typo.
CLOCK_SLACK = timedelta(minutes=5)
_MAX_MINOR = 2**63 - 1  # what a BIGINT holds


class OrderLineInput(NamedTuple):
    """One line as callers give it: plain tuples (sku, quantity, unit_price[, name, category])."""

    sku: str
    quantity: Decimal | int | str
    unit_price: Decimal | int | str
    name: str | None = None
    category: str | None = None


class _Line(NamedTuple):
    sku: str
    name: str | None
    category: str | None
    quantity: Decimal
    unit_price_minor: int
    line_total_minor: int


def _parse_line(n: int, raw: Sequence[Any], currency: str) -> _Line:
    """Validate one line; errors name the line so a cashier can find it."""
    try:
        try:
            line = OrderLineInput(*raw)
        except TypeError:
            raise ValidationError(
                "a line is (sku, quantity, unit_price[, name, category])", field="lines"
            ) from None
        if isinstance(line.unit_price, float) or isinstance(line.quantity, float):
            raise ValidationError("give amounts as Decimal or text, never float", field="lines")
        quantity = parse_quantity(line.quantity)
        price = parse_amount(str(line.unit_price), currency, field="unit_price")
        if price < 0:
            raise InvalidMoney("the unit price cannot be negative", field="unit_price")
        total = to_minor(quantity * price, currency)
        if total > _MAX_MINOR:
            raise InvalidMoney("the line total is too large", field="unit_price")
        return _Line(
            sku=clean_sku(line.sku),
            name=clean_text(line.name, field="name", max_len=300),
            category=clean_text(line.category, field="category", max_len=150),
            quantity=quantity,
            unit_price_minor=to_minor(price, currency),
            line_total_minor=total,
        )
    except ValidationError as e:
        raise type(e)(f"line {n}: {e.message}", field=e.field) from None


def _utc(when: datetime, field: str, now: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValidationError(f"{field} needs a time zone (UTC is stored)", field=field)
    when = when.astimezone(UTC)
    if when > now + CLOCK_SLACK:
        raise ValidationError(f"{field} {when.isoformat()} is in the future", field=field)
    return when


def _status(status: OrderStatus | str) -> OrderStatus:
    return status if isinstance(status, OrderStatus) else parse_status(status)


def refresh_first_deal_on(
    session: Session, *, tenant_id: int, customer: Customer, timezone: str
) -> date | None:
    """The local date of the customer's earliest order that was not cancelled, unless a person
    set the date by hand. Call after anything that adds, moves or cancels orders."""
    if customer.first_deal_overridden:
        return customer.first_deal_on
    first = session.scalar(
        select(func.min(Order.placed_at)).where(
            Order.tenant_id == tenant_id,
            Order.customer_id == customer.id,
            Order.status != OrderStatus.CANCELLED,
        )
    )
    customer.first_deal_on = first.astimezone(ZoneInfo(timezone)).date() if first else None
    return customer.first_deal_on


def record_order(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    customer_id: int | str,
    lines: Iterable[Sequence[Any]],
    currency: str | None = None,
    placed_at: datetime | None = None,
    status: OrderStatus | str = OrderStatus.PLACED,
    store: str | None = None,
    channel: str | None = None,
    external_id: str | None = None,
) -> OrderDetails:
    """Record a purchase: lines priced in the order's currency, totals in minor units.

    `customer_id` is an id or an external id. Unknown SKUs become products. An order imported in
    a later status (a till sale is `delivered` at once) starts its history at that status.
    """
    cur = normalize_currency(currency or ctx.default_currency)
    now = datetime.now(UTC)
    when = _utc(placed_at, "placed_at", now) if placed_at is not None else now
    initial = _status(status)
    parsed = [_parse_line(n, raw, cur) for n, raw in enumerate(lines, start=1)]
    if not parsed:
        raise ValidationError("an order needs at least one line", field="lines")
    total = sum(line.line_total_minor for line in parsed)
    if total > _MAX_MINOR:
        raise InvalidMoney("the order total is too large", field="lines")
    ext = clean_text(external_id, field="external_id", max_len=100)
    where = clean_text(store, field="store", max_len=100)
    via = clean_text(channel, field="channel", max_len=30)

    with uow:
        s = uow.session
        customer = find_customer(s, tenant_id=ctx.tenant_id, ref=customer_id)
        if customer.status == "merged":
            raise ValidationError(
                f"customer {customer.id} was merged into customer {customer.merged_into_id}: "
                "record the order there",
                field="customer",
            )
        if customer.status != "active":
            raise ValidationError(f"customer {customer.id} is {customer.status}", field="customer")
        if ext is not None:
            taken = s.scalar(
                select(Order.id).where(Order.tenant_id == ctx.tenant_id, Order.external_id == ext)
            )
            if taken is not None:
                raise Conflict(
                    f"an order with external id {ext!r} already exists (order {taken})",
                    field="external_id",
                )
        wanted: dict[str, tuple[str | None, str | None]] = {}
        for line in parsed:
            wanted.setdefault(line.sku, (line.name, line.category))
        products = products_for_lines(s, tenant_id=ctx.tenant_id, wanted=wanted)

        order = Order(
            tenant_id=ctx.tenant_id,
            external_id=ext,
            customer_id=customer.id,
            currency=cur,
            total_minor=total,
            placed_at=when,
            status=initial,
            status_changed_at=when,
            store=where,
            channel=via,
            created_at=now,
        )
        s.add(order)
        try:
            s.flush()
        except IntegrityError:  # the same external id, recorded by someone else just now
            raise Conflict(
                f"an order with external id {ext!r} already exists", field="external_id"
            ) from None
        s.add_all(
            OrderLine(
                tenant_id=ctx.tenant_id,
                order_id=order.id,
                line_no=n,
                product_id=products[line.sku].id,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                line_total_minor=line.line_total_minor,
            )
            for n, line in enumerate(parsed, start=1)
        )
        s.add(
            OrderStatusChange(
                tenant_id=ctx.tenant_id,
                order_id=order.id,
                from_status=None,
                to_status=initial,
                at=when,
                by_user=ctx.actor_id,
            )
        )
        s.flush()
        refresh_first_deal_on(s, tenant_id=ctx.tenant_id, customer=customer, timezone=ctx.timezone)
        return order_details(s, tenant_id=ctx.tenant_id, order=order)


def change_order_status(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    order_id: int | str,
    status: OrderStatus | str,
    note: str | None = None,
    location: str | None = None,
    at: datetime | None = None,
) -> OrderDetails:
    """Move an order to its next stage, keeping when, why and where the goods are.

    An impossible move raises InvalidTransition naming the possible ones; nothing changes then.
    """
    new = _status(status)
    now = datetime.now(UTC)
    when = _utc(at, "at", now) if at is not None else None
    text = clean_text(note, field="note", max_len=10_000)
    where = clean_text(location, field="location", max_len=300)
    with uow:
        s = uow.session
        order = find_order(s, tenant_id=ctx.tenant_id, ref=order_id)
        s.refresh(order, with_for_update=True)  # two clerks at once: the second sees the first
        current = OrderStatus(order.status)
        check_transition(current, new)
        if when is None:
            when = max(now, order.status_changed_at)
        elif when < order.status_changed_at:
            raise ValidationError(
                f"the change cannot be dated {when.isoformat()}, before the order's last change "
                f"({order.status_changed_at.isoformat()})",
                field="at",
            )
        order.status = new
        order.status_changed_at = when
        s.add(
            OrderStatusChange(
                tenant_id=ctx.tenant_id,
                order_id=order.id,
                from_status=current,
                to_status=new,
                at=when,
                note=text,
                location=where,
                by_user=ctx.actor_id,
            )
        )
        s.flush()
        refs = [r for r in (order.external_id, str(order.id)) if r]
        on_order_status(s, ctx, refs=refs, status=new)  # loyalty: pay, release or refund
        if new == OrderStatus.CANCELLED:
            customer = s.get_one(Customer, order.customer_id)
            refresh_first_deal_on(
                s, tenant_id=ctx.tenant_id, customer=customer, timezone=ctx.timezone
            )
        return order_details(s, tenant_id=ctx.tenant_id, order=order)
