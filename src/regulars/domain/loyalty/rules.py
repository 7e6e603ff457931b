"""The quote: what a basket costs a customer, what it earns and how much the balance may pay.

Pure and deterministic, so the ledger, the POS API and the "did it pay off" analysis all see the
same numbers. Combination rules (documented in docs/loyalty-rules.md):
- tier and repeat-order discounts: the larger applies, or both one after the other when the
  program sets `stack_discounts`;
- earning is on the amount paid in money (after discounts, minus what the balance pays), split
  over the lines in proportion, times each line's category multiplier;
- below `min_spend` (checked on the total after discounts) an order earns nothing, bonuses included.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from regulars.domain.loyalty.program import HUNDRED, ProgramKind, ProgramSpec, Tier
from regulars.domain.loyalty.rounding import (
    ZERO,
    percent_of,
    round_down,
    round_half_up,
    whole_points,
)
from regulars.domain.loyalty.rule_errors import InvalidBasket, RedeemAboveCap, UnknownTier

RewardKind = Literal["discount", "earn", "bonus"]
POINTS = "points"
ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class BasketLine:
    """One line at the till; `category` selects a category multiplier for earning."""

    sku: str
    quantity: Decimal
    unit_price: Decimal
    category: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What the rules need to know about the customer; the ledger looks these up."""

    tier_code: str | None = None  # None: the program's first tier (threshold 0), if any
    previous_orders: int = 0
    is_birthday_period: bool = False
    referred_by_member: bool = False
    birthday_bonus_taken: bool = False  # already given this birthday period


@dataclass(frozen=True, slots=True)
class AppliedReward:
    """A snapshot of one thing given, why and by which rule: stored for "did it pay off".

    `amount` is money for discounts and program units (money or points, see `unit`) otherwise.
    """

    rule: str
    kind: RewardKind
    amount: Decimal
    reason: str
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Quote:
    """Money fields are in the program's currency; `earn` and `max_redeem` in program units."""

    subtotal: Decimal
    discount: Decimal
    total: Decimal
    earn: Decimal
    max_redeem: Decimal
    rewards: tuple[AppliedReward, ...]
    currency: str = ""
    unit: str = ""  # the currency for cashback programs, "points" for points programs
    tier_code: str | None = None
    max_redeem_value: Decimal = ZERO  # what `max_redeem` pays, in money
    referrer_bonus: AppliedReward | None = None  # goes to the referrer's card, not this one


@dataclass(frozen=True, slots=True)
class ReferralBonuses:
    referrer: AppliedReward | None
    referee: AppliedReward | None


def unit_of(program: ProgramSpec) -> str:
    return POINTS if program.kind is ProgramKind.POINTS else program.currency


def round_units(program: ProgramSpec, units: Decimal) -> Decimal:
    """Program units rounded down: whole points, or the currency's minor units for cashback."""
    if program.kind is ProgramKind.POINTS:
        return whole_points(units)
    return round_down(units, program.currency)


def units_value(program: ProgramSpec, units: Decimal) -> Decimal:
    """The money a balance of `units` pays, rounded down in the currency."""
    return round_down(units * program.point_value, program.currency)


def tier_of(program: ProgramSpec, tier_code: str | None) -> Tier | None:
    """The customer's tier; None only when the program has no tiers."""
    if not program.tiers:
        return None
    if tier_code is None:
        return program.tiers[0]
    for tier in program.tiers:
        if tier.code == tier_code:
            return tier
    raise UnknownTier(f"program {program.code} has no tier {tier_code!r}", field="tier")


def _line_amount(line: BasketLine, currency: str) -> Decimal:
    q, p = line.quantity, line.unit_price
    if not (q.is_finite() and q > 0):
        raise InvalidBasket(f"line {line.sku!r}: quantity must be above 0", field="quantity")
    if not (p.is_finite() and p >= 0):
        raise InvalidBasket(f"line {line.sku!r}: unit price must be 0 or more", field="unit_price")
    return round_half_up(q * p, currency)


def _discounts(
    program: ProgramSpec, tier: Tier | None, facts: CustomerFacts, subtotal: Decimal
) -> list[AppliedReward]:
    """Tier and repeat-order discounts, combined by the program's rule (larger, or stacked)."""
    cur = program.currency
    candidates: list[tuple[Decimal, str, str]] = []
    if tier is not None and tier.discount_percent > 0:
        candidates.append(
            (tier.discount_percent, f"tier:{tier.code}", f"{tier.code} tier discount")
        )
    repeat = program.rules.repeat_order_discount_percent
    if repeat > 0 and facts.previous_orders >= 1:
        candidates.append(
            (repeat, "repeat_order", f"repeat order (order {facts.previous_orders + 1})")
        )
    if not program.rules.stack_discounts and candidates:
        candidates = [max(candidates, key=lambda c: c[0])]  # ties: the tier (listed first)
    rewards: list[AppliedReward] = []
    base = subtotal
    for percent, rule, why in candidates:
        amount = round_half_up(percent_of(base, percent), cur)
        if amount > 0:
            reason = f"{why}: {percent} % of {base} {cur}"
            rewards.append(AppliedReward(rule, "discount", amount, reason, cur))
        base -= amount
    return rewards


def _earn_rate(program: ProgramSpec) -> Decimal:
    """Program units earned per 1 unit of currency paid (before category multipliers)."""
    r = program.rules
    if program.kind is ProgramKind.POINTS:
        return r.points_per_unit + r.cashback_percent / HUNDRED / program.point_value
    return r.cashback_percent / HUNDRED


def _earn_rule(program: ProgramSpec) -> str:
    return "points" if program.kind is ProgramKind.POINTS else "cashback"


def _earn_groups(
    program: ProgramSpec, groups: dict[str | None, Decimal], paid: Decimal, subtotal: Decimal
) -> list[AppliedReward]:
    """Earn per category group on its share of the paid amount; each group rounds down."""
    rate = _earn_rate(program)
    if rate <= 0 or paid <= 0 or subtotal <= 0:
        return []
    rewards: list[AppliedReward] = []
    base_rule = _earn_rule(program)
    for category, gross in groups.items():
        share = gross * paid / subtotal
        multiplier = program.rules.category_multipliers.get(category, ONE) if category else ONE
        amount = round_units(program, share * rate * multiplier)
        if amount <= 0:
            continue
        shown = round_down(share, program.currency)
        if category is None:
            rule, why = base_rule, f"{_rate_text(program)} of {shown} {program.currency} paid"
        else:
            rule = f"{base_rule}:category:{category}"
            why = f"{_rate_text(program)} × {multiplier} on {category}: {shown} {program.currency}"
        rewards.append(AppliedReward(rule, "earn", amount, why, unit_of(program)))
    return rewards


def _rate_text(program: ProgramSpec) -> str:
    r = program.rules
    parts = []
    if r.cashback_percent:
        parts.append(f"{r.cashback_percent} %")
    if r.points_per_unit:
        parts.append(f"{r.points_per_unit} points per {program.currency}")
    return " + ".join(parts)


def purchase_bonuses(
    program: ProgramSpec, total: Decimal, facts: CustomerFacts
) -> tuple[AppliedReward, ...]:
    """Bonuses a qualifying purchase gives this customer: birthday; referee on the first order."""
    r, unit = program.rules, unit_of(program)
    if total <= 0 or total < r.min_spend:
        return ()
    bonuses = []
    if facts.is_birthday_period and not facts.birthday_bonus_taken and r.birthday_bonus > 0:
        bonuses.append(AppliedReward("birthday", "bonus", r.birthday_bonus, "birthday bonus", unit))
    if facts.referred_by_member and facts.previous_orders == 0 and r.referral_bonus_referee > 0:
        bonuses.append(
            AppliedReward(
                "referral_referee",
                "bonus",
                r.referral_bonus_referee,
                "first order of a referred customer",
                unit,
            )
        )
    return tuple(bonuses)


def _referrer_bonus(
    program: ProgramSpec, total: Decimal, facts: CustomerFacts
) -> AppliedReward | None:
    r = program.rules
    if (
        not (facts.referred_by_member and facts.previous_orders == 0)
        or r.referral_bonus_referrer <= 0
    ):
        return None
    if total <= 0 or total < r.min_spend:
        return None
    return referral_bonuses(program).referrer


def redeem_cap(program: ProgramSpec, total: Decimal, available: Decimal) -> Decimal:
    """The most of the balance (program units) that may pay an order of `total`."""
    if not (available.is_finite() and available >= 0):
        raise InvalidBasket("available balance must be 0 or more", field="available")
    cap_value = round_down(
        percent_of(max(total, ZERO), program.rules.max_redeem_percent), program.currency
    )
    cap_units = round_units(program, cap_value / program.point_value)
    return min(available, cap_units)


def quote_basket(
    program: ProgramSpec,
    basket: Sequence[BasketLine],
    facts: CustomerFacts,
    *,
    available: Decimal = ZERO,
    redeem: Decimal = ZERO,
) -> Quote:
    """Price a basket for a customer; `redeem` is the balance they intend to use (earns nothing)."""
    cur = program.currency
    tier = tier_of(program, facts.tier_code)
    groups: dict[str | None, Decimal] = {}
    for line in basket:
        key = line.category if line.category in program.rules.category_multipliers else None
        groups[key] = groups.get(key, ZERO) + _line_amount(line, cur)
    subtotal = sum(groups.values(), ZERO)
    discounts = _discounts(program, tier, facts, subtotal)
    total = subtotal - sum((d.amount for d in discounts), ZERO)
    max_redeem = redeem_cap(program, total, available)
    if not (redeem.is_finite() and redeem >= 0):
        raise InvalidBasket("the amount to redeem must be 0 or more", field="redeem")
    if redeem > max_redeem:
        raise RedeemAboveCap(
            f"at most {max_redeem} {unit_of(program)} can pay this order", field="redeem"
        )
    rewards: list[AppliedReward] = list(discounts)
    if total >= program.rules.min_spend:
        paid = total - min(units_value(program, redeem), total)
        rewards += _earn_groups(program, groups, paid, subtotal)
        rewards += purchase_bonuses(program, total, facts)
    earn = sum((r.amount for r in rewards if r.kind != "discount"), ZERO)
    return Quote(
        subtotal=subtotal,
        discount=subtotal - total,
        total=total,
        earn=earn,
        max_redeem=max_redeem,
        rewards=tuple(rewards),
        currency=cur,
        unit=unit_of(program),
        tier_code=tier.code if tier else None,
        max_redeem_value=units_value(program, max_redeem),
        referrer_bonus=_referrer_bonus(program, total, facts),
    )


def accrual_for_amount(
    program: ProgramSpec, amount: Decimal, facts: CustomerFacts | None = None
) -> tuple[AppliedReward, ...]:
    """What a paid amount earns without a basket (`loyalty accrue --amount`), as snapshots."""
    if not (amount.is_finite() and amount >= 0):
        raise InvalidBasket("the amount must be 0 or more", field="amount")
    if amount < program.rules.min_spend:
        return ()
    earned = tuple(_earn_groups(program, {None: amount}, amount, amount))
    return earned + (purchase_bonuses(program, amount, facts) if facts else ())


def earn_for_amount(
    program: ProgramSpec, amount: Decimal, facts: CustomerFacts | None = None
) -> Decimal:
    """Units a paid `amount` earns: 5,000 at 5 % cashback → 250. Bonuses only with `facts`."""
    return sum((r.amount for r in accrual_for_amount(program, amount, facts)), ZERO)


def welcome_bonus(program: ProgramSpec) -> AppliedReward | None:
    """The bonus a new card gets when it is issued (None when the program gives none)."""
    bonus = program.rules.welcome_bonus
    if bonus <= 0:
        return None
    return AppliedReward("welcome", "bonus", bonus, "welcome bonus", unit_of(program))


def referral_bonuses(program: ProgramSpec) -> ReferralBonuses:
    """What the referrer and the referee get when a referred customer's first order is paid."""
    r, unit = program.rules, unit_of(program)
    referrer = (
        AppliedReward(
            "referral_referrer", "bonus", r.referral_bonus_referrer, "brought a new customer", unit
        )
        if r.referral_bonus_referrer > 0
        else None
    )
    referee = (
        AppliedReward(
            "referral_referee",
            "bonus",
            r.referral_bonus_referee,
            "first order of a referred customer",
            unit,
        )
        if r.referral_bonus_referee > 0
        else None
    )
    return ReferralBonuses(referrer, referee)


def total_of(rewards: Iterable[AppliedReward], kind: RewardKind) -> Decimal:
    return sum((r.amount for r in rewards if r.kind == kind), ZERO)
