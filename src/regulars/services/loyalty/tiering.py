"""Tier upgrades after an accrual: immediate, on the program's metric, with a history row.

Downgrades wait for the review date (the rules' business); this module only ever raises a tier.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regulars.domain.loyalty.ledger import EntryKind
from regulars.domain.loyalty.program import ProgramSpec, Tier, TierMetric
from regulars.services.loyalty.specs import money
from regulars.store.loyalty_tables import (
    LoyaltyCard,
    LoyaltyEntry,
    LoyaltyProgram,
    LoyaltyTierChange,
)

_YEAR = timedelta(days=365)


def first_tier(spec: ProgramSpec) -> str | None:
    return spec.tiers[0].code if spec.tiers else None


def _reached(tiers: tuple[Tier, ...], metric: Decimal) -> Tier | None:
    best = None
    for tier in tiers:
        if metric >= tier.threshold:
            best = tier
    return best


def card_metric(
    s: Session,
    program: LoyaltyProgram,
    spec: ProgramSpec,
    card_id: int,
    now: datetime,
    *,
    plus: Decimal = Decimal(0),
) -> Decimal:
    """Spend (accrued order amounts less refunds) or order count, over 12 months or lifetime."""
    since = None if spec.tier_metric == TierMetric.SPEND_LIFETIME else now - _YEAR
    base = select(LoyaltyEntry).where(
        LoyaltyEntry.tenant_id == program.tenant_id,
        LoyaltyEntry.program_id == program.id,
        LoyaltyEntry.card_id == card_id,
    )
    if since is not None:
        base = base.where(LoyaltyEntry.at >= since)
    sub = base.subquery()
    if spec.tier_metric == TierMetric.ORDERS_12M:
        n = s.scalar(select(func.count()).select_from(sub).where(sub.c.kind == EntryKind.ACCRUE))
        return Decimal(n or 0) + (1 if plus else 0)
    spent = s.scalar(
        select(func.coalesce(func.sum(sub.c.order_amount_minor), 0)).where(
            sub.c.kind == EntryKind.ACCRUE
        )
    )
    refunded = s.scalar(
        select(func.coalesce(func.sum(sub.c.order_amount_minor), 0)).where(
            sub.c.kind.in_([EntryKind.REFUND, EntryKind.CANCEL])
        )
    )
    return money(int(spent or 0) - int(refunded or 0), program) + plus


def upgrade_tier(
    s: Session,
    program: LoyaltyProgram,
    spec: ProgramSpec,
    card: LoyaltyCard,
    now: datetime,
    *,
    plus: Decimal = Decimal(0),
) -> str | None:
    """Raise the card's tier at once when the metric (with `plus`, the order being accrued)
    reaches a higher one; never lowers it."""
    if not spec.tiers:
        return card.tier
    metric = card_metric(s, program, spec, card.id, now, plus=plus)
    reached = _reached(spec.tiers, metric)
    codes = [t.code for t in spec.tiers]
    current = codes.index(card.tier) if card.tier in codes else -1
    if reached is None or codes.index(reached.code) <= current:
        return card.tier
    s.add(
        LoyaltyTierChange(
            tenant_id=program.tenant_id,
            card_id=card.id,
            from_tier=card.tier,
            to_tier=reached.code,
            metric_value=str(metric),
            reason=f"{spec.tier_metric} reached {reached.threshold}",
            at=now,
        )
    )
    card.tier = reached.code
    return card.tier
