"""An order's payment makes its pending value available; a cancel before payment releases it.

Both are safe to repeat: a second `mark_paid` finds nothing pending and moves nothing. They take
a session too (`*_in`), so `change_order_status` can run them in its own transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.domain.loyalty.errors import OrderNotPending
from regulars.domain.loyalty.ledger import EntryKind, Posting
from regulars.services.context import BusinessContext
from regulars.services.loyalty.books import clean_ref, lock_cards, new_entry, programs_of
from regulars.services.loyalty.lots import AVAILABLE, PENDING, expiry_for
from regulars.services.loyalty.results import OrderSettled, RefundResult
from regulars.services.loyalty.reversals import order_program, post_reversal, read_order
from regulars.services.loyalty.specs import units
from regulars.services.loyalty.spending import refund_in
from regulars.store.loyalty_tables import LoyaltyEntry, LoyaltyLot, LoyaltyProgram
from regulars.store.uow import UnitOfWork


def _pending_lots(s: Session, p: LoyaltyProgram, ref: str) -> list[LoyaltyLot]:
    return list(
        s.scalars(
            select(LoyaltyLot)
            .where(
                LoyaltyLot.tenant_id == p.tenant_id,
                LoyaltyLot.program_id == p.id,
                LoyaltyLot.order_ref == ref,
                LoyaltyLot.status == PENDING,
            )
            .order_by(LoyaltyLot.id)
        )
    )


def has_entries(s: Session, ctx: BusinessContext, refs: list[str]) -> bool:
    ids = [p.id for p in programs_of(s, ctx)]
    if not ids:
        return False
    return (
        s.scalar(
            select(LoyaltyEntry.id)
            .where(LoyaltyEntry.program_id.in_(ids), LoyaltyEntry.order_ref.in_(refs))
            .limit(1)
        )
        is not None
    )


def mark_paid_in(
    s: Session,
    ctx: BusinessContext,
    ref: str,
    *,
    program: str | None = None,
    at: datetime | None = None,
) -> OrderSettled:
    now = at or datetime.now(UTC)
    p = order_program(s, ctx, ref, program)
    cards = {lot.card_id for lot in _pending_lots(s, p, ref)}
    accs = lock_cards(s, p, cards)
    lots = _pending_lots(s, p, ref)  # re-read under the lock
    if not lots:
        return OrderSettled(ref, units(0, p), units(0, p), units(0, p), ())
    postings: list[Posting] = []
    for lot in lots:
        acc = accs[lot.card_id]
        postings += [
            Posting(acc.pending, -lot.remaining_minor),
            Posting(acc.wallet, lot.remaining_minor),
        ]
        lot.status = AVAILABLE
        lot.expires_at = expiry_for(p, now)  # the life of earned value starts at payment
    total = sum(lot.remaining_minor for lot in lots)
    entry = new_entry(
        s,
        ctx,
        p,
        EntryKind.PAID,
        at=now,
        postings=postings,
        card_id=lots[0].card_id,
        order_ref=ref,
    )
    return OrderSettled(ref, units(total, p), units(0, p), units(0, p), (entry.id,))


def mark_paid(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    order: str,
    program: str | None = None,
    at: datetime | None = None,
) -> OrderSettled:
    """The order was paid: its pending accrual becomes available (and starts to age)."""
    ref = clean_ref(order)
    with uow.locking() as w:
        return mark_paid_in(w.session, ctx, ref, program=program, at=at)


def cancel_order_in(
    s: Session,
    ctx: BusinessContext,
    ref: str,
    *,
    program: str | None = None,
    at: datetime | None = None,
) -> OrderSettled:
    now = at or datetime.now(UTC)
    p = order_program(s, ctx, ref, program)
    book = read_order(s, p, ref)
    accs = lock_cards(s, p, book.cards(s))
    book = read_order(s, p, ref)
    held = sum(lot.remaining_minor for lot in _pending_lots(s, p, ref))
    if book.accrual is not None and held < book.accrued - book.reversed:
        raise OrderNotPending(f"order {ref} was paid already: refund it instead", field="order")
    give_back = book.redeemed - book.given_back
    left = (book.basis or 1) - book.refunded
    if not held and not give_back:
        return OrderSettled(ref, units(0, p), units(0, p), units(0, p), ())
    rev = post_reversal(
        s,
        ctx,
        p,
        book,
        accs,
        kind=EntryKind.CANCEL,
        give_back=give_back,
        reverse=held,
        at=now,
        order_ref=ref,
        order_amount_minor=max(left, 0),
        pending_only=True,
    )
    return OrderSettled(ref, units(0, p), units(rev.taken, p), units(give_back, p), (rev.entry.id,))


def cancel_order(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    order: str,
    program: str | None = None,
    at: datetime | None = None,
) -> OrderSettled:
    """The order was cancelled before payment: its pending value is released and whatever was
    redeemed on it goes back to the card."""
    ref = clean_ref(order)
    with uow.locking() as w:
        return cancel_order_in(w.session, ctx, ref, program=program, at=at)


def on_order_status(
    s: Session, ctx: BusinessContext, *, refs: list[str], status: str
) -> OrderSettled | RefundResult | None:
    """The order lifecycle's hook (inside its transaction), only for orders with loyalty entries:
    paid → pending becomes available; cancelled → pending released if not paid yet; refunded →
    the rest of the order refunded. A partial refund's amount is unknown here: use `refund`."""
    found = [r for r in refs if has_entries(s, ctx, [r])]
    if not found:
        return None
    ref = found[0]
    if status == "paid":
        return mark_paid_in(s, ctx, ref)
    if status == "cancelled":
        try:
            return cancel_order_in(s, ctx, ref)
        except OrderNotPending:
            return None
    if status == "refunded":
        p = order_program(s, ctx, ref)
        book = read_order(s, p, ref)
        if (book.basis or 1) > book.refunded:
            return refund_in(s, ctx, ref)
    return None
