"""The daily expiry run, and what is about to expire (for warning messages).

Each card expires in its own short transaction under its lock, so a run never blocks the till
for long and can be repeated safely: lots already expired have nothing left.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regulars.domain.errors import ValidationError
from regulars.domain.loyalty.ledger import AccountKind, EntryKind, Posting
from regulars.services.context import BusinessContext
from regulars.services.loyalty.books import account_id, lock_cards, new_entry, programs_of
from regulars.services.loyalty.lots import AVAILABLE, CLOSED
from regulars.services.loyalty.results import ExpiredCard, ExpiringValue, ExpiryRun
from regulars.services.loyalty.specs import units
from regulars.store.loyalty_tables import LoyaltyCard, LoyaltyLot, LoyaltyLotUse, LoyaltyProgram
from regulars.store.uow import UnitOfWork


def _due(
    s: Session, p: LoyaltyProgram, now: datetime, card_id: int | None = None
) -> list[LoyaltyLot]:
    q = select(LoyaltyLot).where(
        LoyaltyLot.tenant_id == p.tenant_id,
        LoyaltyLot.program_id == p.id,
        LoyaltyLot.status == AVAILABLE,
        LoyaltyLot.remaining_minor > 0,
        LoyaltyLot.expires_at <= now,
    )
    if card_id is not None:
        q = q.where(LoyaltyLot.card_id == card_id)
    return list(s.scalars(q.order_by(LoyaltyLot.id)))


def _expire_card(
    s: Session, ctx: BusinessContext, p: LoyaltyProgram, card_id: int, now: datetime
) -> ExpiredCard | None:
    acc = lock_cards(s, p, [card_id])[card_id]
    lots = _due(s, p, now, card_id)
    total = sum(lot.remaining_minor for lot in lots)
    if not total:
        return None
    expired = account_id(s, p, AccountKind.EXPIRED)
    entry = new_entry(
        s,
        ctx,
        p,
        EntryKind.EXPIRE,
        at=now,
        card_id=card_id,
        postings=[Posting(acc.wallet, -total), Posting(expired, total)],
    )
    for lot in lots:
        s.add(
            LoyaltyLotUse(
                tenant_id=p.tenant_id,
                program_id=p.id,
                lot_id=lot.id,
                entry_id=entry.id,
                kind=EntryKind.EXPIRE,
                earned_member_id=lot.member_business_id,
                spent_member_id=lot.member_business_id,
                amount_minor=lot.remaining_minor,
                at=now,
            )
        )
        lot.remaining_minor, lot.status = 0, CLOSED
    number = s.get_one(LoyaltyCard, card_id).number
    return ExpiredCard(number=number, program=p.code, expired=units(total, p), entry_id=entry.id)


def expire_lots(uow: UnitOfWork, *, ctx: BusinessContext, now: datetime | None = None) -> ExpiryRun:
    """Post every lot past its expiry date into the program's expired account (owned programs)."""
    now = now or datetime.now(UTC)
    with uow:
        owned = [p.id for p in programs_of(uow.session, ctx) if p.tenant_id == ctx.tenant_id]
        work = []
        for pid in owned:
            p = uow.session.get_one(LoyaltyProgram, pid)
            work += [
                (pid, cid) for cid in sorted({lot.card_id for lot in _due(uow.session, p, now)})
            ]
    done = []
    for pid, cid in work:
        with uow.locking() as w:
            p = w.session.get_one(LoyaltyProgram, pid)
            out = _expire_card(w.session, ctx, p, cid, now)
        if out is not None:
            done.append(out)
    return ExpiryRun(at=now, cards=tuple(done))


def expiring_soon(
    uow: UnitOfWork, *, ctx: BusinessContext, days: int, now: datetime | None = None
) -> list[ExpiringValue]:
    """Per card: value that expires within `days`, and the first date it happens."""
    if days < 0 or days > 3660:
        raise ValidationError("days must be between 0 and 3660", field="days")
    now = now or datetime.now(UTC)
    until = now + timedelta(days=days)
    with uow:
        s = uow.session
        out = []
        for p in programs_of(s, ctx):
            rows = s.execute(
                select(
                    LoyaltyCard.number,
                    LoyaltyCard.customer_id,
                    func.sum(LoyaltyLot.remaining_minor),
                    func.min(LoyaltyLot.expires_at),
                )
                .join(LoyaltyCard, LoyaltyCard.id == LoyaltyLot.card_id)
                .where(
                    LoyaltyLot.tenant_id == p.tenant_id,
                    LoyaltyLot.program_id == p.id,
                    LoyaltyLot.status == AVAILABLE,
                    LoyaltyLot.remaining_minor > 0,
                    LoyaltyLot.expires_at <= until,
                )
                .group_by(LoyaltyCard.number, LoyaltyCard.customer_id)
                .order_by(func.min(LoyaltyLot.expires_at), LoyaltyCard.number)
            ).all()
            mine = p.tenant_id == ctx.tenant_id
            for number, customer_id, amount, first in rows:
                if first is None:
                    continue
                first = first if first.tzinfo else first.replace(tzinfo=UTC)
                out.append(
                    ExpiringValue(
                        number=number,
                        program=p.code,
                        customer_id=customer_id if mine else None,
                        amount=units(int(amount), p),
                        expires_at=first,
                    )
                )
        return out
