"""What a loyalty program promises: its unit of value, its tiers and its earning/spending rules.

These value objects are the contract between the pure rules (`rules`, `tiers`, `rebates`) and the
ledger services that store programs and post what the rules compute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

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
