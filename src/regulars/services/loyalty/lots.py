"""Lots: earned value with its origin member and expiry; spending eats the oldest first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.domain.loyalty.ledger import EntryKind, take_oldest
from regulars.store.loyalty_tables import LoyaltyLot, LoyaltyLotUse, LoyaltyProgram

PENDING = "pending"
AVAILABLE = "available"
CLOSED = "closed"


def add_months(when: datetime, months: int) -> datetime:
    """The same day `months` later (the 31st becomes the month's last day)."""
    y, m = divmod(when.month - 1 + months, 12)
    year, month = when.year + y, m + 1
    for day in (when.day, 30, 29, 28):
        try:
            return when.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError("unreachable")


def expiry_for(program: LoyaltyProgram, start: datetime) -> datetime | None:
    return add_months(start, program.expiry_months) if program.expiry_months else None


def add_lot(
    s: Session,
    program: LoyaltyProgram,
    *,
    card_id: int,
    entry_id: int,
    member: int,
    order_ref: str | None,
    amount: int,
    at: datetime,
    pending: bool,
) -> LoyaltyLot:
    lot = LoyaltyLot(
        tenant_id=program.tenant_id,
        program_id=program.id,
        card_id=card_id,
        entry_id=entry_id,
        member_business_id=member,
        order_ref=order_ref,
        amount_minor=amount,
        remaining_minor=amount,
        status=PENDING if pending else AVAILABLE,
        earned_at=at,
        expires_at=None if pending else expiry_for(program, at),
    )
    s.add(lot)
    return lot


def open_lots(
    s: Session, program: LoyaltyProgram, card_id: int, status: str = AVAILABLE
) -> list[LoyaltyLot]:
    """A card's lots with value left, oldest first."""
    return list(
        s.scalars(
            select(LoyaltyLot)
            .where(
                LoyaltyLot.tenant_id == program.tenant_id,
                LoyaltyLot.card_id == card_id,
                LoyaltyLot.status == status,
                LoyaltyLot.remaining_minor > 0,
            )
            .order_by(LoyaltyLot.earned_at, LoyaltyLot.id)
        )
    )


def consume(
    s: Session,
    program: LoyaltyProgram,
    lots: list[LoyaltyLot],
    amount: int,
    *,
    entry_id: int,
    kind: EntryKind,
    spent_at: int,
    at: datetime,
) -> None:
    """Take `amount` from `lots` in their order, recording each bite for settlement."""
    by_id = {lot.id: lot for lot in lots}
    for take in take_oldest([(lot.id, lot.remaining_minor) for lot in lots], amount):
        lot = by_id[take.lot]
        lot.remaining_minor -= take.amount
        if lot.remaining_minor == 0:
            lot.status = CLOSED
        s.add(
            LoyaltyLotUse(
                tenant_id=program.tenant_id,
                program_id=program.id,
                lot_id=lot.id,
                entry_id=entry_id,
                kind=kind,
                earned_member_id=lot.member_business_id,
                spent_member_id=spent_at,
                amount_minor=take.amount,
                at=at,
            )
        )
