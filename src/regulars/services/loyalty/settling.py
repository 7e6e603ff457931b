"""Coalition settlement for a month: who owes whom for value earned at one member and spent at
another, valued at the program's point value in its currency (periods are UTC months)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.domain.loyalty.rounding import round_half_up
from regulars.domain.loyalty.rule_errors import InvalidPeriod
from regulars.domain.loyalty.settlement import Consumption, obligations, positions
from regulars.services.context import BusinessContext
from regulars.services.loyalty.books import find_program, programs_of
from regulars.services.loyalty.results import Settlement, SettlementLine
from regulars.services.loyalty.specs import units
from regulars.store.loyalty_tables import LoyaltyLotUse, LoyaltyMember, LoyaltyProgram
from regulars.store.tables import Business
from regulars.store.uow import UnitOfWork

_PERIOD = re.compile(r"(\d{4})-(\d{2})")


def parse_period(text: str) -> tuple[datetime, datetime]:
    m = _PERIOD.fullmatch((text or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1970:
        raise InvalidPeriod(f"{text!r} is not a month written YYYY-MM", field="period")
    year, month = int(m.group(1)), int(m.group(2))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _settle(s: Session, p: LoyaltyProgram, period: str) -> Settlement:
    start, end = parse_period(period)
    uses = s.execute(
        select(
            LoyaltyLotUse.earned_member_id,
            LoyaltyLotUse.spent_member_id,
            LoyaltyLotUse.amount_minor,
        ).where(
            LoyaltyLotUse.tenant_id == p.tenant_id,
            LoyaltyLotUse.program_id == p.id,
            LoyaltyLotUse.at >= start,
            LoyaltyLotUse.at < end,
        )
    ).all()
    lines = obligations(Consumption(a, b, n) for a, b, n in uses)
    members = s.execute(
        select(Business.id, Business.slug)
        .join(LoyaltyMember, LoyaltyMember.business_id == Business.id)
        .where(LoyaltyMember.program_id == p.id)
    ).all()
    slug = dict(members)
    value = Decimal(p.point_value)

    def money(minor: int) -> Decimal:
        return round_half_up(units(minor, p) * value, p.currency)

    shown = [SettlementLine(slug[o.debtor], slug[o.creditor], money(o.amount)) for o in lines]
    pos = {slug[b]: money(0) for b, _ in members}
    for line in shown:
        pos[line.debtor] -= line.amount
        pos[line.creditor] += line.amount
    assert sum(pos.values()) == 0 and positions(lines).keys() <= slug.keys()
    return Settlement(
        program=p.code,
        period=period.strip(),
        currency=p.currency,
        lines=tuple(shown),
        positions=pos,
    )


def settle(
    uow: UnitOfWork, *, ctx: BusinessContext, period: str, program: str | None = None
) -> list[Settlement]:
    """One settlement per program of this business's coalitions (or just `program`)."""
    parse_period(period)
    with uow:
        s = uow.session
        chosen = [find_program(s, ctx, program)] if program else programs_of(s, ctx)
        return [_settle(s, p, period) for p in chosen]
