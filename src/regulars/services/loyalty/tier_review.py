"""The tier review: downgrades happen here, at the review date and after the grace period.

Upgrades are immediate at accrual (tiering.upgrade_tier); this daily run applies the domain's
`tiers.review` to every active card, stores each card's review date and "below since" day, and
writes a tier-history row for every change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.domain.loyalty.program import ProgramSpec
from regulars.domain.loyalty.tiers import add_months, review
from regulars.services.context import BusinessContext
from regulars.services.loyalty.books import programs_of
from regulars.services.loyalty.specs import spec_of
from regulars.services.loyalty.tiering import card_metric
from regulars.store.loyalty_offer_tables import LoyaltyTierReview
from regulars.store.loyalty_tables import LoyaltyCard, LoyaltyProgram, LoyaltyTierChange
from regulars.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class TierReviewLine:
    card: str
    program: str
    from_tier: str | None
    to_tier: str | None
    change: str  # upgrade | downgrade | initial | keep (kept while below: in grace)
    reason: str
    next_review: date


@dataclass(frozen=True, slots=True)
class TierReviewRun:
    day: date
    reviewed: int
    changes: tuple[TierReviewLine, ...]
    in_grace: tuple[TierReviewLine, ...]


def review_tiers(
    uow: UnitOfWork, *, ctx: BusinessContext, today: date | None = None
) -> TierReviewRun:
    """Review every active card of this business's programs as of `today` (UTC)."""
    day = today or datetime.now(UTC).date()
    now = datetime.combine(day, time(), UTC)
    with uow.locking() as w:
        s = w.session
        changes: list[TierReviewLine] = []
        grace: list[TierReviewLine] = []
        reviewed = 0
        for p in programs_of(s, ctx):
            spec = spec_of(p)
            if p.tenant_id != ctx.tenant_id or not spec.tiers:
                continue
            cards = s.scalars(
                select(LoyaltyCard)
                .where(
                    LoyaltyCard.tenant_id == ctx.tenant_id,
                    LoyaltyCard.program_id == p.id,
                    LoyaltyCard.status == "active",
                )
                .order_by(LoyaltyCard.id)
            ).all()
            for card in cards:
                reviewed += 1
                line = _review_card(s, p, spec, card, day, now)
                if line is not None and line.change != "keep":
                    changes.append(line)
                elif line is not None:
                    grace.append(line)
        return TierReviewRun(day, reviewed, tuple(changes), tuple(grace))


def _review_card(
    s: Session, p: LoyaltyProgram, spec: ProgramSpec, card: LoyaltyCard, day: date, now: datetime
) -> TierReviewLine | None:
    """One card's decision; a line when its tier changed or it is kept while below."""
    state = s.get(LoyaltyTierReview, card.id)
    if state is None:
        issued = card.issued_at.date()
        state = LoyaltyTierReview(
            card_id=card.id,
            tenant_id=card.tenant_id,
            review_date=add_months(issued, spec.review_months),
            below_since=None,
            reviewed_at=now,
        )
        s.add(state)
    metric = card_metric(s, p, spec, card.id, now)
    d = review(
        spec, card.tier, metric, today=day, below_since=state.below_since,
        review_date=state.review_date,
    )  # fmt: skip
    state.review_date, state.below_since, state.reviewed_at = d.next_review, d.below_since, now
    line = TierReviewLine(
        card.number, p.code, d.previous, d.tier.code, d.change, d.reason, d.next_review
    )
    if d.changed and d.tier.code != card.tier:
        s.add(
            LoyaltyTierChange(
                tenant_id=card.tenant_id, card_id=card.id, from_tier=card.tier,
                to_tier=d.tier.code, metric_value=str(metric), reason=d.reason[:200], at=now,
            )
        )  # fmt: skip
        card.tier = d.tier.code
        return line
    return line if d.below_since is not None else None
