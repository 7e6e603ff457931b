"""Reading orders back: one order in full, lists, and the follow-up lists (unpaid, stuck).

Every query filters by the tenant; amounts leave here as Decimal beside their currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from regulars.domain.errors import Conflict, NotFound, ValidationError
from regulars.domain.money import from_minor
from regulars.domain.orders import OPEN, UNPAID, OrderStatus, parse_status
from regulars.services.context import BusinessContext
from regulars.store.tables import Customer, Order, OrderLine, OrderStatusChange, Product
from regulars.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class OrderLineView:
    line_no: int
    sku: str
    name: str
    category: str | None
    quantity: Decimal
    unit_price: Decimal
    line_total: Decimal


@dataclass(frozen=True, slots=True)
class StatusChangeView:
    from_status: OrderStatus | None
    to_status: OrderStatus
    at: datetime
    note: str | None
    location: str | None
    by_user: int | None


@dataclass(frozen=True, slots=True)
class OrderDetails:
    id: int
    external_id: str | None
    customer_id: int
    customer_name: str
    currency: str
    total: Decimal
    placed_at: datetime
    status: OrderStatus
    status_changed_at: datetime
    store: str | None
    channel: str | None
    location: str | None  # where the goods were last reported
    lines: tuple[OrderLineView, ...]
    history: tuple[StatusChangeView, ...]


@dataclass(frozen=True, slots=True)
class OrderSummary:
    id: int
    external_id: str | None
    customer_id: int
    customer_name: str
    placed_at: datetime
    status: OrderStatus
    status_changed_at: datetime
    total: Decimal
    currency: str
    store: str | None
    channel: str | None


@dataclass(frozen=True, slots=True)
class UnpaidOrder:
    id: int
    external_id: str | None
    customer_id: int
    customer_name: str
    status: OrderStatus
    placed_at: datetime
    days_unpaid: int
    total: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class StuckOrder:
    id: int
    external_id: str | None
    customer_id: int
    customer_name: str
    status: OrderStatus  # the stage it is stuck in
    since: datetime
    days_stuck: int
    location: str | None
    total: Decimal
    currency: str


def plain_quantity(q: Decimal) -> Decimal:
    """2.000 -> 2, 1.500 -> 1.5: what a person writes (never 1E+1)."""
    return q.quantize(Decimal(1)) if q == q.to_integral_value() else q.normalize()


def _find(session: Session, model: Any, tenant_id: int, ref: int | str, what: str) -> Any:
    """A row by id or external id, within the tenant.

    `id:12` and `ext:12` say which one is meant; a bare `12` that is the id of one row and the
    external id of another is refused as ambiguous rather than guessed.
    """
    base = select(model).where(model.tenant_id == tenant_id)

    def by_id(text: str) -> Any:
        if not (text.isascii() and text.isdigit()) or int(text) >= 2**63:
            return None
        return session.scalar(base.where(model.id == int(text)))

    def by_ext(text: str) -> Any:
        return session.scalar(base.where(model.external_id == text)) if text else None

    if isinstance(ref, int):
        row = session.scalar(base.where(model.id == ref))
        if row is None:
            raise NotFound(f"no {what} with id {ref}")
        return row
    text = ref.strip()
    if text.startswith("id:"):
        row = by_id(text.removeprefix("id:").strip())
    elif text.startswith("ext:"):
        row = by_ext(text.removeprefix("ext:").strip())
    else:
        row, other = by_ext(text), by_id(text)
        if row is not None and other is not None and row is not other:
            raise Conflict(
                f"{text!r} is the id of {what} {other.id} and the external id of {what} "
                f"{row.id}; say id:{text} or ext:{text}"
            )
        row = row if row is not None else other
    if row is None:
        raise NotFound(f"no {what} with id or external id {text!r}")
    return row


def find_customer(session: Session, *, tenant_id: int, ref: int | str) -> Customer:
    """The customer this id or external id names (for the CLI's CUSTOMER argument)."""
    row: Customer = _find(session, Customer, tenant_id, ref, "customer")
    return row


def find_order(session: Session, *, tenant_id: int, ref: int | str) -> Order:
    row: Order = _find(session, Order, tenant_id, ref, "order")
    return row


def _latest_location() -> Any:
    return (
        select(OrderStatusChange.location)
        .where(
            OrderStatusChange.tenant_id == Order.tenant_id,
            OrderStatusChange.order_id == Order.id,
            OrderStatusChange.location.is_not(None),
        )
        .order_by(OrderStatusChange.at.desc(), OrderStatusChange.id.desc())
        .limit(1)
        .correlate(Order)
        .scalar_subquery()
    )


def order_details(session: Session, *, tenant_id: int, order: Order) -> OrderDetails:
    cur = order.currency
    customer = session.get_one(Customer, order.customer_id)
    lines = session.execute(
        select(OrderLine, Product)
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.tenant_id == tenant_id, OrderLine.order_id == order.id)
        .order_by(OrderLine.line_no)
    ).all()
    changes = session.scalars(
        select(OrderStatusChange)
        .where(OrderStatusChange.tenant_id == tenant_id, OrderStatusChange.order_id == order.id)
        .order_by(OrderStatusChange.at, OrderStatusChange.id)
    ).all()
    history = tuple(
        StatusChangeView(
            from_status=OrderStatus(c.from_status) if c.from_status else None,
            to_status=OrderStatus(c.to_status),
            at=c.at,
            note=c.note,
            location=c.location,
            by_user=c.by_user,
        )
        for c in changes
    )
    return OrderDetails(
        id=order.id,
        external_id=order.external_id,
        customer_id=order.customer_id,
        customer_name=customer.display_name,
        currency=cur,
        total=from_minor(order.total_minor, cur),
        placed_at=order.placed_at,
        status=OrderStatus(order.status),
        status_changed_at=order.status_changed_at,
        store=order.store,
        channel=order.channel,
        location=next((h.location for h in reversed(history) if h.location), None),
        lines=tuple(
            OrderLineView(
                line_no=line.line_no,
                sku=product.sku,
                name=product.name,
                category=product.category,
                quantity=plain_quantity(line.quantity),
                unit_price=from_minor(line.unit_price_minor, cur),
                line_total=from_minor(line.line_total_minor, cur),
            )
            for line, product in lines
        ),
        history=history,
    )


def show_order(uow: UnitOfWork, *, ctx: BusinessContext, order_id: int | str) -> OrderDetails:
    """One order by id or external id: its lines, totals and every stage it went through."""
    with uow:
        order = find_order(uow.session, tenant_id=ctx.tenant_id, ref=order_id)
        return order_details(uow.session, tenant_id=ctx.tenant_id, order=order)


def _with_customer(tenant_id: int, *extra: Any) -> Select[Any]:
    return (
        select(Order, Customer.display_name, *extra)
        .join(Customer, (Customer.id == Order.customer_id) & (Customer.tenant_id == tenant_id))
        .where(Order.tenant_id == tenant_id)
    )


def list_orders(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    customer: int | str | None = None,
    status: OrderStatus | str | None = None,
    limit: int | None = 50,
    before: tuple[datetime, int] | None = None,
) -> list[OrderSummary]:
    """Newest first, optionally of one customer (id or external id) or in one status;
    `before` (placed_at, id) of the last order of the previous page continues after it."""
    if limit is not None and limit < 1:
        raise ValidationError("the limit must be at least 1", field="limit")
    with uow:
        s = uow.session
        q = _with_customer(ctx.tenant_id)
        if customer is not None:
            q = q.where(
                Order.customer_id == find_customer(s, tenant_id=ctx.tenant_id, ref=customer).id
            )
        if status is not None:
            q = q.where(
                Order.status
                == (status if isinstance(status, OrderStatus) else parse_status(status))
            )
        if before is not None:
            at, oid = before
            q = q.where(or_(Order.placed_at < at, and_(Order.placed_at == at, Order.id < oid)))
        q = q.order_by(Order.placed_at.desc(), Order.id.desc())
        if limit is not None:
            q = q.limit(limit)
        return [
            OrderSummary(
                id=o.id,
                external_id=o.external_id,
                customer_id=o.customer_id,
                customer_name=name,
                placed_at=o.placed_at,
                status=OrderStatus(o.status),
                status_changed_at=o.status_changed_at,
                total=from_minor(o.total_minor, o.currency),
                currency=o.currency,
                store=o.store,
                channel=o.channel,
            )
            for o, name in s.execute(q)
        ]


def _cutoff(older_than_days: int, now: datetime | None) -> tuple[datetime, datetime]:
    if older_than_days < 0:
        raise ValidationError("the number of days cannot be negative", field="days")
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise ValidationError("now needs a time zone", field="now")
    return now, now - timedelta(days=older_than_days)


def unpaid_orders(
    uow: UnitOfWork, *, ctx: BusinessContext, older_than_days: int, now: datetime | None = None
) -> list[UnpaidOrder]:
    """Orders placed (or confirmed) at least N days ago and still not paid: follow them up.

    Oldest first, because the oldest are the likeliest to be lost.
    """
    now, cutoff = _cutoff(older_than_days, now)
    with uow:
        q = (
            _with_customer(ctx.tenant_id)
            .where(Order.status.in_(sorted(UNPAID)), Order.placed_at <= cutoff)
            .order_by(Order.placed_at, Order.id)
        )
        return [
            UnpaidOrder(
                id=o.id,
                external_id=o.external_id,
                customer_id=o.customer_id,
                customer_name=name,
                status=OrderStatus(o.status),
                placed_at=o.placed_at,
                days_unpaid=(now - o.placed_at).days,
                total=from_minor(o.total_minor, o.currency),
                currency=o.currency,
            )
            for o, name in uow.session.execute(q)
        ]


def stuck_orders(
    uow: UnitOfWork, *, ctx: BusinessContext, older_than_days: int, now: datetime | None = None
) -> list[StuckOrder]:
    """Orders resting in an open stage (see `domain.orders.OPEN`) for at least N days.

    Longest stuck first, with the stage and where the goods were last reported.
    """
    now, cutoff = _cutoff(older_than_days, now)
    with uow:
        q = (
            _with_customer(ctx.tenant_id, _latest_location())
            .where(Order.status.in_(sorted(OPEN)), Order.status_changed_at <= cutoff)
            .order_by(Order.status_changed_at, Order.id)
        )
        return [
            StuckOrder(
                id=o.id,
                external_id=o.external_id,
                customer_id=o.customer_id,
                customer_name=name,
                status=OrderStatus(o.status),
                since=o.status_changed_at,
                days_stuck=(now - o.status_changed_at).days,
                location=location,
                total=from_minor(o.total_minor, o.currency),
                currency=o.currency,
            )
            for o, name, location in uow.session.execute(q)
        ]
