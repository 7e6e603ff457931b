"""What an order holds in the ledger, and the one way value goes back on a refund or cancel.

Giving back redeemed value creates a new lot at the member where it was spent; taking back
earned value eats the order's own pending lots first, then its available lots, then the card's
oldest. What the customer already spent elsewhere is recorded as unrecovered, never posted as a
negative balance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regulars.domain.errors import ValidationError
from regulars.domain.loyalty.errors import UnknownOrder
from regulars.domain.loyalty.ledger import AccountKind, EntryKind, Posting
from regulars.services.context import BusinessContext
from regulars.services.loyalty.books import CardAccounts, account_id, new_entry, programs_of
from regulars.services.loyalty.lots import AVAILABLE, PENDING, add_lot, consume, open_lots
from regulars.store.loyalty_tables import (
    LoyaltyCard,
    LoyaltyEntry,
    LoyaltyLot,
    LoyaltyPosting,
    LoyaltyProgram,
)


def order_program(
    s: Session, ctx: BusinessContext, ref: str, program: str | None = None
) -> LoyaltyProgram:
    """The one program of this business's coalitions with entries for the order."""
    found = [
        p
        for p in programs_of(s, ctx)
        if (program is None or p.code == program)
        and s.scalar(
            select(LoyaltyEntry.id)
            .where(LoyaltyEntry.program_id == p.id, LoyaltyEntry.order_ref == ref)
            .limit(1)
        )
        is not None
    ]
    if not found:
        raise UnknownOrder(f"no loyalty entries for order {ref}", field="order")
    if len(found) > 1:
        raise ValidationError(
            f"order {ref} has entries in several programs: name the program", field="program"
        )
    return found[0]


def current_card(s: Session, card_id: int) -> LoyaltyCard:
    """Follow replacements to the card that holds the value now."""
    card = s.get_one(LoyaltyCard, card_id)
    while card.replaced_by_id is not None:
        card = s.get_one(LoyaltyCard, card.replaced_by_id)
    return card


@dataclass
class OrderBook:
    """The order's story so far in one program, in ledger minor units."""

    accrual: LoyaltyEntry | None
    accrued: int
    redeems: list[LoyaltyEntry]
    redeemed: int
    basis: int | None  # the order's amount (money minor units), when known
    refunded: int
    reversed: int
    given_back: int

    def cards(self, s: Session) -> list[int]:
        ids = [e.card_id for e in [self.accrual, *self.redeems] if e is not None and e.card_id]
        return [current_card(s, i).id for i in ids]


def read_order(s: Session, p: LoyaltyProgram, ref: str) -> OrderBook:
    entries = list(
        s.scalars(
            select(LoyaltyEntry)
            .where(LoyaltyEntry.program_id == p.id, LoyaltyEntry.order_ref == ref)
            .order_by(LoyaltyEntry.id)
        )
    )
    accrual = next((e for e in entries if e.kind == EntryKind.ACCRUE), None)
    redeems = [e for e in entries if e.kind == EntryKind.REDEEM]
    backs = [e for e in entries if e.kind in (EntryKind.REFUND, EntryKind.CANCEL)]

    def outflow(ids: list[int], sign: int) -> int:
        if not ids:
            return 0
        cond = LoyaltyPosting.amount_minor > 0 if sign > 0 else LoyaltyPosting.amount_minor < 0
        total = s.scalar(
            select(func.coalesce(func.sum(LoyaltyPosting.amount_minor), 0)).where(
                LoyaltyPosting.entry_id.in_(ids), cond
            )
        )
        return abs(int(total or 0))

    basis = accrual.order_amount_minor if accrual is not None else None
    if basis is None:
        totals = [e.order_amount_minor for e in redeems if e.order_amount_minor]
        basis = max(totals) if totals else None
    return OrderBook(
        accrual=accrual,
        accrued=outflow([accrual.id], +1) if accrual is not None else 0,
        redeems=redeems,
        redeemed=outflow([e.id for e in redeems], -1),
        basis=basis,
        refunded=sum(e.order_amount_minor or 0 for e in backs),
        reversed=sum(e.reversed_minor for e in backs),
        given_back=sum(e.given_back_minor for e in backs),
    )


def _order_lots(s: Session, p: LoyaltyProgram, entry_id: int, status: str) -> list[LoyaltyLot]:
    return list(
        s.scalars(
            select(LoyaltyLot)
            .where(
                LoyaltyLot.tenant_id == p.tenant_id,
                LoyaltyLot.entry_id == entry_id,
                LoyaltyLot.status == status,
                LoyaltyLot.remaining_minor > 0,
            )
            .order_by(LoyaltyLot.id)
        )
    )


@dataclass(frozen=True)
class Reversal:
    entry: LoyaltyEntry
    taken: int  # earned value actually taken back
    unrecovered: int


def post_reversal(
    s: Session,
    ctx: BusinessContext,
    p: LoyaltyProgram,
    book: OrderBook,
    accs: dict[int, CardAccounts],
    *,
    kind: EntryKind,
    give_back: int,
    reverse: int,
    at: datetime,
    order_ref: str,
    order_amount_minor: int,
    pending_only: bool = False,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    make_result: Callable[[int, int], Any] | None = None,
) -> Reversal:
    """One entry: give back `give_back` to the redeeming card, take back `reverse` of what the
    order earned (from pending first; `pending_only` for a cancel before payment).

    `make_result(taken, unrecovered)` builds the result stored on the entry for replays."""
    postings: list[Posting] = []
    redeem_card = current_card(s, book.redeems[0].card_id).id if give_back else None  # type: ignore[arg-type]
    spent_at = book.redeems[0].member_business_id if book.redeems else ctx.tenant_id
    if give_back and redeem_card is not None:
        postings += [
            Posting(account_id(s, p, AccountKind.CLEARING, member=spent_at), -give_back),
            Posting(accs[redeem_card].wallet, give_back),
        ]
    taken_pending = taken_wallet = 0
    acc_card = None
    earned_at = ctx.tenant_id
    pending_lots: list[LoyaltyLot] = []
    if reverse and book.accrual is not None and book.accrual.card_id is not None:
        acc_card = current_card(s, book.accrual.card_id).id
        earned_at = book.accrual.member_business_id
        clearing = account_id(s, p, AccountKind.CLEARING, member=earned_at)
        pending_lots = _order_lots(s, p, book.accrual.id, PENDING)
        taken_pending = min(reverse, sum(lot.remaining_minor for lot in pending_lots))
        room = accs[acc_card].available + (give_back if redeem_card == acc_card else 0)
        if not pending_only:
            taken_wallet = min(reverse - taken_pending, room)
        postings += [
            Posting(accs[acc_card].pending, -taken_pending),
            Posting(accs[acc_card].wallet, -taken_wallet),
            Posting(clearing, taken_pending + taken_wallet),
        ]
    unrecovered = reverse - taken_pending - taken_wallet
    entry = new_entry(
        s,
        ctx,
        p,
        kind,
        at=at,
        postings=postings,
        card_id=acc_card or redeem_card,
        order_ref=order_ref,
        order_amount_minor=order_amount_minor,
        reversed_minor=reverse,
        unrecovered_minor=unrecovered,
        given_back_minor=give_back,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        result=make_result(reverse - unrecovered, unrecovered) if make_result else None,
    )
    if give_back and redeem_card is not None:
        add_lot(
            s,
            p,
            card_id=redeem_card,
            entry_id=entry.id,
            member=spent_at,
            order_ref=order_ref,
            amount=give_back,
            at=at,
            pending=False,
        )
        s.flush()
    if taken_pending:
        consume(
            s,
            p,
            pending_lots,
            taken_pending,
            entry_id=entry.id,
            kind=kind,
            spent_at=earned_at,
            at=at,
        )
    if taken_wallet and acc_card is not None and book.accrual is not None:
        own = _order_lots(s, p, book.accrual.id, AVAILABLE)
        rest = [lot for lot in open_lots(s, p, acc_card) if lot.id not in {o.id for o in own}]
        consume(
            s, p, own + rest, taken_wallet, entry_id=entry.id, kind=kind, spent_at=earned_at, at=at
        )
    return Reversal(entry, taken_pending + taken_wallet, unrecovered)
