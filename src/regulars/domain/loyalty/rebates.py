"""Distributor rebates (B2B): a percentage rising with the period's volume, and fixed amounts.

Quantitative rebates default to the *whole-volume* rule: the rate of the highest bracket reached
applies to everything bought in the period (what distributors are usually promised); schemes can
choose `marginal`, where each bracket's rate applies only to the volume inside that bracket.
Fixed-point rebates pay a fixed amount per unit bought and/or per order. Rebates are computed for
a closed period and credited at its end; every amount rounds down in the currency.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Literal

from regulars.domain.loyalty.program import HUNDRED, parse_percent
from regulars.domain.loyalty.rounding import ZERO, percent_of, round_down
from regulars.domain.loyalty.rule_errors import InvalidPercent, InvalidPeriod, InvalidRebateScheme
from regulars.domain.loyalty.tiers import add_months

RebateMode = Literal["whole", "marginal"]


@dataclass(frozen=True, slots=True)
class RebateBracket:
    """From `threshold` of period volume on, `percent` is paid back."""

    threshold: Decimal
    percent: Decimal


@dataclass(frozen=True, slots=True)
class RebateScheme:
    """What a distributor is promised; all parts are optional and add up."""

    code: str
    currency: str
    brackets: tuple[RebateBracket, ...] = ()
    mode: RebateMode = "whole"
    per_unit: Decimal = ZERO
    per_order: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Purchase:
    """One order (or a return, with negative amount and quantity) of the distributor."""

    order_ref: str
    day: date
    amount: Decimal
    quantity: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class RebatePeriod:
    """Days from `start` up to, not including, `end`; `label` is what statements show."""

    start: date
    end: date
    label: str = ""

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day < self.end


@dataclass(frozen=True, slots=True)
class RebateLine:
    rule: str  # "volume", "volume:bracket:<threshold>", "per_unit", "per_order"
    basis: Decimal  # volume, units or orders the rule applied to
    rate: Decimal  # percent for volume rules, money per unit or order for fixed ones
    amount: Decimal
    explanation: str


@dataclass(frozen=True, slots=True)
class RebateStatement:
    scheme: str
    currency: str
    period: RebatePeriod
    volume: Decimal
    quantity: Decimal
    orders: int
    lines: tuple[RebateLine, ...]
    total: Decimal
    outside_period: int = 0  # purchases passed in but not counted


def parse_brackets(text: str) -> tuple[RebateBracket, ...]:
    """Brackets from `0:0,100000:2,500000:4` (volume threshold:percent), validated."""
    brackets = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        pieces = part.split(":")
        if len(pieces) != 2:
            raise InvalidRebateScheme(f"{part!r} is not threshold:percent", field="brackets")
        try:
            threshold = Decimal(pieces[0].strip())
            percent = parse_percent(pieces[1], field="brackets")
        except (InvalidOperation, InvalidPercent):
            raise InvalidRebateScheme(
                f"{part!r} is not threshold:percent", field="brackets"
            ) from None
        brackets.append(RebateBracket(threshold, percent))
    return validate_brackets(tuple(brackets))


def validate_brackets(brackets: tuple[RebateBracket, ...]) -> tuple[RebateBracket, ...]:
    """Brackets start at 0, thresholds rise strictly and percentages never fall."""
    if not brackets or brackets[0].threshold != 0:
        raise InvalidRebateScheme("the first bracket must start at 0 (e.g. 0:0)", field="brackets")
    for prev, cur in pairwise(brackets):
        if not cur.threshold.is_finite() or cur.threshold <= prev.threshold:
            raise InvalidRebateScheme(
                f"bracket {cur.threshold} must be above {prev.threshold}", field="brackets"
            )
        if cur.percent < prev.percent:
            raise InvalidRebateScheme(
                f"the rate at {cur.threshold} ({cur.percent} %) is below the previous one",
                field="brackets",
            )
    if any(not ZERO <= b.percent <= HUNDRED for b in brackets):
        raise InvalidRebateScheme("rates must be between 0 and 100 %", field="brackets")
    return brackets


def validate_scheme(scheme: RebateScheme) -> RebateScheme:
    if scheme.brackets:
        validate_brackets(scheme.brackets)
    if scheme.mode not in ("whole", "marginal"):
        raise InvalidRebateScheme(f"unknown mode {scheme.mode!r}", field="mode")
    for name in ("per_unit", "per_order"):
        value: Decimal = getattr(scheme, name)
        if not (value.is_finite() and value >= 0):
            raise InvalidRebateScheme(f"{name} must be 0 or more", field=name)
    return scheme


def parse_period(text: str) -> RebatePeriod:
    """`2026-11` (a month), `2026-Q4` (a quarter) or `2026` (a year)."""
    raw = text.strip().upper()
    if m := re.fullmatch(r"(\d{4})-(\d{2})", raw):
        months, start = 1, (int(m[1]), int(m[2]))
    elif m := re.fullmatch(r"(\d{4})-Q([1-4])", raw):
        months, start = 3, (int(m[1]), 3 * int(m[2]) - 2)
    elif m := re.fullmatch(r"(\d{4})", raw):
        months, start = 12, (int(m[1]), 1)
    else:
        raise InvalidPeriod(f"{text!r} is not a period (YYYY-MM, YYYY-Qn or YYYY)", field="period")
    if not (1 <= start[1] <= 12 and start[0] >= 1):
        raise InvalidPeriod(f"{text!r} is not a period (YYYY-MM, YYYY-Qn or YYYY)", field="period")
    first = date(start[0], start[1], 1)
    return RebatePeriod(first, add_months(first, months), raw)


def _volume_lines(scheme: RebateScheme, volume: Decimal) -> list[RebateLine]:
    cur, lines = scheme.currency, []
    if not scheme.brackets or volume <= 0:
        return []
    if scheme.mode == "whole":
        reached = [b for b in scheme.brackets if volume >= b.threshold][-1]
        amount = round_down(percent_of(volume, reached.percent), cur)
        why = (
            f"volume {volume} {cur} reached the {reached.threshold} bracket: "
            f"{reached.percent} % of the whole volume"
        )
        return [RebateLine("volume", volume, reached.percent, amount, why)] if amount else []
    uppers = [b.threshold for b in scheme.brackets[1:]] + [volume]
    for bracket, upper in zip(scheme.brackets, uppers, strict=True):
        inside = min(volume, upper) - bracket.threshold
        if inside <= 0 or bracket.percent == 0:
            continue
        amount = round_down(percent_of(inside, bracket.percent), cur)
        why = f"{bracket.percent} % of the {inside} {cur} bought from {bracket.threshold} on"
        rule = f"volume:bracket:{bracket.threshold}"
        lines.append(RebateLine(rule, inside, bracket.percent, amount, why))
    return lines


def rebate_statement(
    scheme: RebateScheme, purchases: Iterable[Purchase], period: RebatePeriod
) -> RebateStatement:
    """What a distributor earned in a closed period, one explained line per rule applied."""
    cur = scheme.currency
    net: dict[str, tuple[Decimal, Decimal]] = {}
    outside = 0
    for p in purchases:
        if p.day not in period:
            outside += 1
            continue
        amount, quantity = net.get(p.order_ref, (ZERO, ZERO))
        net[p.order_ref] = (amount + p.amount, quantity + p.quantity)
    volume = max(ZERO, sum((a for a, _ in net.values()), ZERO))
    quantity = max(ZERO, sum((q for _, q in net.values()), ZERO))
    orders = sum(1 for a, _ in net.values() if a > 0)
    lines = _volume_lines(scheme, volume)
    if scheme.per_unit and quantity:
        amount = round_down(scheme.per_unit * quantity, cur)
        why = f"{scheme.per_unit} {cur} for each of {quantity} units"
        lines.append(RebateLine("per_unit", quantity, scheme.per_unit, amount, why))
    if scheme.per_order and orders:
        amount = round_down(scheme.per_order * orders, cur)
        why = f"{scheme.per_order} {cur} for each of {orders} orders"
        lines.append(RebateLine("per_order", Decimal(orders), scheme.per_order, amount, why))
    lines = [line for line in lines if line.amount > 0]
    total = sum((line.amount for line in lines), ZERO)
    return RebateStatement(
        scheme.code, cur, period, volume, quantity, orders, tuple(lines), total, outside
    )
