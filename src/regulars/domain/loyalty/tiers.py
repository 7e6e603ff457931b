"""Tier qualification: upgrades at once, downgrades only at a review date after a grace period.

A customer who falls below their tier keeps it until both hold: the review date has come, and
they have been below the threshold for `grace_days`. A review that finds a customer below but
still in grace stays *pending* (the review date does not move) so the downgrade happens the day
the grace ends, unless they qualify again first. Every decision carries a reason for the history.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from regulars.domain.loyalty.program import ProgramSpec, Tier
from regulars.domain.loyalty.rule_errors import InvalidProgram

TierChange = Literal["initial", "upgrade", "downgrade", "keep"]


@dataclass(frozen=True, slots=True)
class TierDecision:
    """What the review decided, and what to store until the next review.

    `below_since` is the day the customer first fell below their current tier (None when they
    qualify); `next_review` is the review date to keep on the card.
    """

    tier: Tier
    previous: str | None
    change: TierChange
    reason: str
    below_since: date | None
    next_review: date

    @property
    def changed(self) -> bool:
        return self.change != "keep"


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def next_review_date(program: ProgramSpec, since: date, *, today: date) -> date:
    """The first review after `today`, counting whole review periods from `since`."""
    n = 1
    review = add_months(since, program.review_months)
    while review <= today:
        n += 1
        review = add_months(since, n * program.review_months)
    return review


def tier_for(program: ProgramSpec, metric_value: Decimal) -> Tier:
    """The highest tier whose threshold `metric_value` reaches (the first tier starts at 0)."""
    if not program.tiers:
        raise InvalidProgram(f"program {program.code} has no tiers", field="tiers")
    reached = program.tiers[0]
    for tier in program.tiers[1:]:
        if metric_value >= tier.threshold:
            reached = tier
    return reached


def _rank(program: ProgramSpec, code: str | None) -> int | None:
    for i, tier in enumerate(program.tiers):
        if tier.code == code:
            return i
    return None


def review(
    program: ProgramSpec,
    current_tier: str | None,
    metric_value: Decimal,
    *,
    today: date,
    below_since: date | None,
    review_date: date | None,
) -> TierDecision:
    """Decide a customer's tier today from the program's metric (e.g. spend over 12 months)."""
    target = tier_for(program, metric_value)
    fresh_review = add_months(today, program.review_months)
    metric = f"{program.tier_metric.value} {metric_value}"
    current = _rank(program, current_tier)
    if current is None:
        why = f"first qualification: {metric}"
        if current_tier is not None:
            why = f"tier {current_tier!r} no longer exists; {why}"
        return TierDecision(target, current_tier, "initial", why, None, fresh_review)
    held = program.tiers[current]
    wanted = program.tiers.index(target)
    if wanted > current:
        why = f"upgrade: {metric} reaches {target.code}'s {target.threshold}"
        return TierDecision(target, held.code, "upgrade", why, None, fresh_review)
    review_due = review_date if review_date is not None else fresh_review
    if wanted == current:
        if today >= review_due:  # the review passes: the tier holds for another period
            review_due = next_review_date(program, review_due, today=today)
            why = f"review passed: {metric} keeps {held.code}"
        else:
            why = f"qualifies: {metric} keeps {held.code}"
        return TierDecision(held, held.code, "keep", why, None, review_due)
    since = below_since if below_since is not None and below_since <= today else today
    grace_end = since + timedelta(days=program.grace_days)
    if today >= review_due and today >= grace_end:
        why = (
            f"downgrade at review {review_due.isoformat()}: {metric} below {held.code}'s "
            f"{held.threshold} since {since.isoformat()} (grace {program.grace_days} days)"
        )
        next_review = next_review_date(program, review_due, today=today)
        return TierDecision(target, held.code, "downgrade", why, None, next_review)
    if today < review_due:
        why = f"below {held.code}'s {held.threshold} ({metric}); kept until review {review_due}"
    else:
        why = f"below {held.code}'s {held.threshold} ({metric}); in grace until {grace_end}"
    return TierDecision(held, held.code, "keep", why, since, review_due)
