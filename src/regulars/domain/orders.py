"""The order lifecycle: which status may follow which, so an impossible move is refused."""

from __future__ import annotations

from enum import StrEnum

from regulars.domain.errors import InvalidTransition


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
    try:
        return OrderStatus(text.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        known = ", ".join(OrderStatus)
        raise InvalidTransition(
            f"unknown status {text!r} (known: {known})", field="status"
        ) from None
