"""The loyalty engine's rounding, in one place: what is given away never rounds up.

Discounts shown at the till round half up in the currency's minor units (what cashiers expect);
earned value, redeem caps and rebates round *down* (cashback to the minor unit, points to whole
points), so rounding can never credit more than the program promised.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from regulars.domain.money import minor_units

ZERO = Decimal(0)
HUNDRED = Decimal(100)


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def round_half_up(amount: Decimal, currency: str) -> Decimal:
    """An amount a customer pays or is discounted, in the currency's precision."""
    return amount.quantize(_quantum(currency), rounding=ROUND_HALF_UP)


def round_down(amount: Decimal, currency: str) -> Decimal:
    """Value the business gives away (cashback, rebates, caps): never more than computed."""
    return amount.quantize(_quantum(currency), rounding=ROUND_DOWN)


def whole_points(points: Decimal) -> Decimal:
    """Points are whole numbers, rounded down."""
    return points.quantize(Decimal(1), rounding=ROUND_DOWN)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """`percent` % of `amount`, exact (rounding is the caller's choice)."""
    return amount * percent / HUNDRED
