"""What a loyalty program promises: its unit of value, its tiers and its earning/spending rules.

These value objects are the contract between the pure rules (`rules`, `tiers`, `rebates`) and the
ledger services that store programs and post what the rules compute.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from regulars.domain.loyalty.rule_errors import InvalidPercent, InvalidProgram, InvalidTiers
from regulars.domain.money import minor_units, normalize_currency

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class ProgramKind(StrEnum):
    """Cashback programs hold money on the card; points programs hold points worth `point_value`."""

    CASHBACK = "cashback"
    POINTS = "points"


class TierMetric(StrEnum):
    """What a customer must reach to hold a tier (the documents: spend over a rolling year)."""

    SPEND_12M = "spend_12m"
    SPEND_LIFETIME = "spend_lifetime"
    ORDERS_12M = "orders_12m"


@dataclass(frozen=True, slots=True)
class Tier:
    """A card level: reached at `threshold` of the program's metric, giving `discount_percent`."""

    code: str
    threshold: Decimal
    discount_percent: Decimal
    name: str = ""
    perks: tuple[str, ...] = ()  # non-monetary: hotline, trials of new products, club events


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """The combinable earning and spending rules of one program (all optional, zero = off).

    Percentages are of the amount in the order's currency. Bonuses are in program units
    (money for cashback programs, points for points programs).
    """

    cashback_percent: Decimal = ZERO
    points_per_unit: Decimal = ZERO  # points per 1 unit of currency spent
    repeat_order_discount_percent: Decimal = ZERO  # on the second and every later order
    welcome_bonus: Decimal = ZERO
    birthday_bonus: Decimal = ZERO
    referral_bonus_referrer: Decimal = ZERO
    referral_bonus_referee: Decimal = ZERO
    category_multipliers: Mapping[str, Decimal] = field(default_factory=dict)
    min_spend: Decimal = ZERO  # below it an order earns nothing
    max_redeem_percent: Decimal = HUNDRED  # share of an order's total payable from the balance
    # Tier and repeat-order discounts: by default only the larger applies; stacked, they apply
    # one after the other (5 % then 10 % = 14.5 %), so together they never exceed 100 %.
    stack_discounts: bool = False
    birthday_window_days: int = 7  # the birthday bonus can be earned this many days either side


@dataclass(frozen=True, slots=True)
class ProgramSpec:
    """A program as the rules see it. `currency` is the currency orders are valued in."""

    code: str
    currency: str
    kind: ProgramKind = ProgramKind.CASHBACK
    point_value: Decimal = Decimal(1)  # currency value of one unit of balance (1 for cashback)
    tiers: tuple[Tier, ...] = ()
    tier_metric: TierMetric = TierMetric.SPEND_12M
    review_months: int = 12  # downgrades happen only at a review date…
    grace_days: int = 30  # …and only after this grace period below the threshold
    expiry_months: int | None = 12  # life of an earned lot; None = never expires
    rules: RuleSpec = field(default_factory=RuleSpec)


_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")


def parse_percent(text: str | Decimal | int, *, field: str = "percent") -> Decimal:
    """A percentage between 0 and 100 from "5", "2.5" or "5%"; anything else is refused."""
    raw = str(text).strip().removesuffix("%").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidPercent(f"{text!r} is not a percentage", field=field) from None
    if not value.is_finite() or not ZERO <= value <= HUNDRED:
        raise InvalidPercent(f"{text!r} is not a percentage between 0 and 100", field=field)
    return value


def _parse_threshold(text: str, code: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidTiers(
            f"tier {code!r}: threshold {text!r} is not a number", field="tiers"
        ) from None
    if not value.is_finite() or value < 0:
        raise InvalidTiers(f"tier {code!r}: threshold {text!r} must be 0 or more", field="tiers")
    return value


def parse_tiers(text: str) -> tuple[Tier, ...]:
    """Tiers from the CLI form `basic:0:5,gold:20000:10,vip:100000:20` (code:threshold:percent)."""
    tiers: list[Tier] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        pieces = part.split(":")
        if len(pieces) != 3:
            raise InvalidTiers(
                f"{part!r} is not code:threshold:discount (e.g. gold:20000:10)", field="tiers"
            )
        code, threshold, percent = (x.strip() for x in pieces)
        try:
            discount = parse_percent(percent, field="tiers")
        except InvalidPercent as e:
            raise InvalidTiers(f"tier {code!r}: {e.message}", field="tiers") from None
        tiers.append(Tier(code, _parse_threshold(threshold, code), discount))
    return validate_tiers(tuple(tiers))


def format_tiers(tiers: tuple[Tier, ...]) -> str:
    """The inverse of `parse_tiers`, for showing a program's configuration."""
    return ",".join(f"{t.code}:{t.threshold}:{t.discount_percent}" for t in tiers)


def validate_tiers(tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
    """Tiers must start at 0, rise strictly, have unique codes and discounts within 0–100 %."""
    if not tiers:
        raise InvalidTiers("at least one tier is needed (e.g. basic:0:5)", field="tiers")
    seen: set[str] = set()
    for i, tier in enumerate(tiers):
        if not _CODE.fullmatch(tier.code):
            raise InvalidTiers(
                f"tier code {tier.code!r} must start with a letter and use letters, digits, _ or -",
                field="tiers",
            )
        if tier.code.lower() in seen:
            raise InvalidTiers(f"tier code {tier.code!r} appears twice", field="tiers")
        seen.add(tier.code.lower())
        if not (tier.threshold.is_finite() and tier.threshold >= 0):
            raise InvalidTiers(f"tier {tier.code!r}: threshold must be 0 or more", field="tiers")
        if not (tier.discount_percent.is_finite() and ZERO <= tier.discount_percent <= HUNDRED):
            raise InvalidTiers(f"tier {tier.code!r}: discount must be 0–100 %", field="tiers")
        if i == 0 and tier.threshold != 0:
            raise InvalidTiers(
                f"the first tier ({tier.code!r}) must start at 0, so every customer has one",
                field="tiers",
            )
        if i > 0 and tier.threshold <= tiers[i - 1].threshold:
            raise InvalidTiers(
                f"tier {tier.code!r}: threshold {tier.threshold} must be above "
                f"{tiers[i - 1].code!r}'s {tiers[i - 1].threshold}",
                field="tiers",
            )
    return tiers


def _check_percent(value: Decimal, name: str) -> None:
    if not (value.is_finite() and ZERO <= value <= HUNDRED):
        raise InvalidProgram(f"{name} must be between 0 and 100 (got {value})", field=name)


def _check_amount(value: Decimal, name: str, program: ProgramSpec) -> None:
    """A bonus or threshold: non-negative, and whole points / within the currency's decimals."""
    if not (value.is_finite() and value >= 0):
        raise InvalidProgram(f"{name} must be 0 or more (got {value})", field=name)
    digits = 0 if program.kind is ProgramKind.POINTS else minor_units(program.currency)
    if value != value.quantize(Decimal(1).scaleb(-digits)):
        unit = "whole points" if digits == 0 else f"at most {digits} decimals"
        raise InvalidProgram(f"{name} must be {unit} (got {value})", field=name)


def _validate_rules(program: ProgramSpec) -> None:
    r = program.rules
    for name in ("cashback_percent", "repeat_order_discount_percent", "max_redeem_percent"):
        _check_percent(getattr(r, name), name)
    for name in ("welcome_bonus", "birthday_bonus", "referral_bonus_referrer"):
        _check_amount(getattr(r, name), name, program)
    _check_amount(r.referral_bonus_referee, "referral_bonus_referee", program)
    if not (r.points_per_unit.is_finite() and r.points_per_unit >= 0):
        raise InvalidProgram("points_per_unit must be 0 or more", field="points_per_unit")
    if program.kind is ProgramKind.CASHBACK and r.points_per_unit:
        raise InvalidProgram(
            "a cashback program earns money, not points: use cashback_percent",
            field="points_per_unit",
        )
    if not 0 <= r.birthday_window_days <= 182:
        raise InvalidProgram("birthday_window_days must be 0–182", field="birthday_window_days")
    if not (r.min_spend.is_finite() and r.min_spend >= 0):
        raise InvalidProgram("min_spend must be 0 or more", field="min_spend")
    for category, factor in r.category_multipliers.items():
        if not category.strip() or not (factor.is_finite() and factor >= 0):
            raise InvalidProgram(
                f"category multiplier {category!r}: {factor} must be 0 or more",
                field="category_multipliers",
            )


def validate_program(program: ProgramSpec) -> ProgramSpec:
    """Refuse a program the rules cannot apply consistently; returns it unchanged when valid."""
    if not _CODE.fullmatch(program.code):
        raise InvalidProgram(
            f"program code {program.code!r} must start with a letter and use letters, digits, "
            "_ or - (at most 40)",
            field="code",
        )
    if normalize_currency(program.currency) != program.currency:
        raise InvalidProgram(f"write the currency as {program.currency.upper()}", field="currency")
    if not (program.point_value.is_finite() and program.point_value > 0):
        raise InvalidProgram("point_value must be above 0", field="point_value")
    if program.kind is ProgramKind.CASHBACK and program.point_value != 1:
        raise InvalidProgram("a cashback program's unit is its currency: point_value is 1")
    if program.tiers:
        validate_tiers(program.tiers)
    if program.review_months < 1:
        raise InvalidProgram("review_months must be 1 or more", field="review_months")
    if program.grace_days < 0:
        raise InvalidProgram("grace_days must be 0 or more", field="grace_days")
    if program.expiry_months is not None and program.expiry_months < 1:
        raise InvalidProgram("expiry_months must be 1 or more (or none)", field="expiry_months")
    _validate_rules(program)
    return program
