"""The order lifecycle: which status may follow which, so an impossible move is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from zoneinfo import ZoneInfo

from regulars.domain.errors import InvalidTransition, ValidationError


class OrderStatus(StrEnum):
    PLACED = "placed"
    CONFIRMED = "confirmed"
    PAID = "paid"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    PARTLY_RETURNED = "partly_returned"
    RETURNED = "returned"
    PARTLY_REFUNDED = "partly_refunded"
    REFUNDED = "refunded"


S = OrderStatus

# The main line, in order. Moving forward may skip stages (a till sale goes placed -> paid ->
# delivered at once); moving back never happens: a reversal is a return or a refund.
MAIN_LINE: tuple[OrderStatus, ...] = (
    S.PLACED,
    S.CONFIRMED,
    S.PAID,
    S.PACKED,
    S.SHIPPED,
    S.DELIVERED,
)

_AFTER_PAYMENT = {S.PAID, S.PACKED, S.SHIPPED, S.DELIVERED}
_REVERSALS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PLACED: frozenset({S.CANCELLED}),
    S.CONFIRMED: frozenset({S.CANCELLED}),
    S.PAID: frozenset({S.CANCELLED, S.PARTLY_REFUNDED, S.REFUNDED}),
    S.PACKED: frozenset({S.CANCELLED, S.PARTLY_REFUNDED, S.REFUNDED}),
    S.SHIPPED: frozenset({S.PARTLY_RETURNED, S.RETURNED, S.PARTLY_REFUNDED, S.REFUNDED}),
    S.DELIVERED: frozenset({S.PARTLY_RETURNED, S.RETURNED, S.PARTLY_REFUNDED, S.REFUNDED}),
    S.PARTLY_RETURNED: frozenset({S.PARTLY_RETURNED, S.RETURNED, S.PARTLY_REFUNDED, S.REFUNDED}),
    S.PARTLY_REFUNDED: frozenset({S.PARTLY_REFUNDED, S.REFUNDED, S.PARTLY_RETURNED, S.RETURNED}),
    S.RETURNED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}

TERMINAL = frozenset(s for s, nxt in _REVERSALS.items() if not nxt)
UNPAID = frozenset({S.PLACED, S.CONFIRMED})
# Statuses whose money counts as revenue (a partly reversed order still counts, net of lines).
REVENUE = frozenset(_AFTER_PAYMENT | {S.PARTLY_RETURNED, S.PARTLY_REFUNDED})
# Stages in which the business still owes the customer something: the goods (before delivery)
# or the money for goods that came back. An order resting here too long is "stuck". Delivered
# and partly returned / refunded orders are settled as far as the customer can tell.
OPEN = frozenset(MAIN_LINE[:-1]) | {S.RETURNED}

MAX_QUANTITY = Decimal("99999999999.999")  # what NUMERIC(14, 3) holds
_QUANTITY_STEP = Decimal("0.001")


def allowed_next(current: OrderStatus) -> frozenset[OrderStatus]:
    nxt = set(_REVERSALS[current])
    if current in MAIN_LINE:
        nxt.update(MAIN_LINE[MAIN_LINE.index(current) + 1 :])
    return frozenset(nxt)


def check_transition(current: OrderStatus, new: OrderStatus) -> None:
    """Raise InvalidTransition, naming what is possible, when `new` cannot follow `current`."""
    if new in allowed_next(current):
        return
    possible = sorted(allowed_next(current), key=_rank)
    hint = ", ".join(possible) if possible else "nothing (the order is closed)"
    raise InvalidTransition(
        f"an order cannot go from {current} to {new}; from {current} it can go to {hint}",
        field="status",
    )


def _rank(s: OrderStatus) -> int:
    return list(OrderStatus).index(s)


def parse_status(text: str) -> OrderStatus:
    """'Partly returned', 'PARTLY-RETURNED' -> partly_returned; an unknown word is bad input."""
    try:
        return OrderStatus(text.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        known = ", ".join(OrderStatus)
        raise ValidationError(f"unknown status {text!r} (known: {known})", field="status") from None


def parse_quantity(value: Decimal | int | str, *, field: str = "quantity") -> Decimal:
    """A positive quantity with at most 3 decimals (kg, m); more would be rounded by the store."""
    try:
        q = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"{value!r} is not a quantity", field=field) from None
    if not q.is_finite():
        raise ValidationError(f"{value!r} is not a finite quantity", field=field)
    if q <= 0:
        raise ValidationError(f"the quantity must be positive, not {value}", field=field)
    # The size first: quantize fails on numbers beyond Decimal's precision.
    if q > MAX_QUANTITY or q != q.quantize(_QUANTITY_STEP):
        raise ValidationError(
            f"{value!r} is not a quantity we can keep (at most 3 decimals, below 10^11)",
            field=field,
        )
    return q


def parse_local_time(text: str, timezone: str, *, field: str = "placed_at") -> datetime:
    """ISO 8601 date or time; without an offset it is the business's local time. Returns UTC-aware.

    Shop staff type the time on the wall clock, so '2024-05-01 14:30' means 14:30 in the shop.
    """
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            f"{text!r} is not an ISO 8601 date or time (e.g. 2024-05-01 14:30)", field=field
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(timezone))
    return when.astimezone(UTC)
