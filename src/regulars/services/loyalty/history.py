"""Reads the HTTP API needs beyond the CLI's: the programs a business takes part in, what a till
may show about a card (balance, tier and, when allowed, the holder's name), a card's ledger
entries a page at a time, and which of its value expires soon.

Writes stay in their own modules; these only compose the ledger's look-ups (`books`), so a card
of another business is unknown here exactly as it is at the till.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select

from regulars.domain.errors import ValidationError
from regulars.domain.loyalty.ledger import AccountKind
from regulars.services.context import BusinessContext
from regulars.services.loyalty.books import find_card, programs_of
from regulars.services.loyalty.cards import card_balance, find_cards
from regulars.services.loyalty.lots import AVAILABLE
from regulars.services.loyalty.programs import program_info
from regulars.services.loyalty.results import ProgramInfo
from regulars.services.loyalty.specs import units
from regulars.store.loyalty_tables import (
    LoyaltyAccount,
    LoyaltyCard,
    LoyaltyEntry,
    LoyaltyLot,
    LoyaltyPosting,
)
from regulars.store.tables import Business, Customer
from regulars.store.uow import UnitOfWork

MAX_PAGE = 500
MAX_DAYS = 3660


@dataclass(frozen=True, slots=True)
class CardSummary:
    """A card as the till shows it: the balance (`card_balance`) and, when the caller may see
    them, the holder's name and customer id (never for a coalition partner: not their customer)."""

    number: str
    program: str
    unit: str
    available: Decimal
    pending: Decimal
    tier: str | None
    status: str
    holder: str | None
    customer_id: int | None


@dataclass(frozen=True, slots=True)
class CardEntry:
    """One ledger entry as it touched the card: the changes to its available and pending value.
    `business` and `order` are shown to the program's owner and to the business that made it."""

    id: int
    at: datetime
    kind: str
    available_change: Decimal
    pending_change: Decimal
    order: str | None
    business: str | None


@dataclass(frozen=True, slots=True)
class ExpiringLot:
    amount: Decimal
    earned_at: datetime
    expires_at: datetime


def list_programs(uow: UnitOfWork, *, ctx: BusinessContext) -> list[ProgramInfo]:
    """The programs this business owns or is a coalition member of, oldest first."""
    with uow:
        return [program_info(uow.session, p) for p in programs_of(uow.session, ctx)]


def _holders(
    uow: UnitOfWork, ctx: BusinessContext, numbers: list[str]
) -> dict[str, tuple[Any, Any]]:
    """card number → (customer id, display name) for this business's own personal cards."""
    with uow:
        rows = uow.session.execute(
            select(LoyaltyCard.number, Customer.id, Customer.display_name)
            .join(Customer, Customer.id == LoyaltyCard.customer_id)
            .where(
                LoyaltyCard.number.in_(numbers),
                LoyaltyCard.tenant_id == ctx.tenant_id,
                Customer.tenant_id == ctx.tenant_id,
            )
        ).all()
    return {number: (cid, name) for number, cid, name in rows}


def _summaries(
    uow: UnitOfWork, ctx: BusinessContext, numbers: list[str], *, names: bool, ids: bool
) -> list[CardSummary]:
    balances = [card_balance(uow, ctx=ctx, number=n) for n in numbers]
    holders = (
        _holders(uow, ctx, [b.number for b in balances]) if balances and (names or ids) else {}
    )
    out = []
    for b in balances:
        cid, name = holders.get(b.number, (None, None))
        out.append(
            CardSummary(
                number=b.number,
                program=b.program,
                unit=b.unit,
                available=b.available,
                pending=b.pending,
                tier=b.tier,
                status=b.status,
                holder=name if names else None,
                customer_id=cid if ids else None,
            )
        )
    return out


def card_summary(
    uow: UnitOfWork, *, ctx: BusinessContext, number: str, names: bool, ids: bool = False
) -> CardSummary:
    """Balance, tier and status (the till's `card_balance`, as fast as before); with `names` or
    `ids`, one more read for the holder."""
    return _summaries(uow, ctx, [number], names=names, ids=ids)[0]


def cards_by_phone(
    uow: UnitOfWork, *, ctx: BusinessContext, phone: str, names: bool, ids: bool = False
) -> list[CardSummary]:
    """The cards of this business's customers with this phone (typed any way), as the till
    shows them; the phone is matched by `find_cards`, the same look-up as the CLI's."""
    found = find_cards(uow, ctx=ctx, phone=phone)
    return _summaries(uow, ctx, [c.number for c in found], names=names, ids=ids)


def card_history(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    number: str,
    limit: int = 50,
    before_id: int | None = None,
) -> list[CardEntry]:
    """The card's entries, newest first, `limit` at a time (continue with the last id seen).

    An entry belongs to the card when it names the card or posts to its accounts, so a replaced
    card still shows the move of its balance to the successor."""
    if not 1 <= limit <= MAX_PAGE + 1:
        raise ValidationError(f"limit must be 1–{MAX_PAGE}", field="limit")
    with uow:
        s = uow.session
        card, p = find_card(s, ctx, number)
        accounts = dict(
            s.execute(
                select(LoyaltyAccount.id, LoyaltyAccount.kind).where(
                    LoyaltyAccount.tenant_id == p.tenant_id, LoyaltyAccount.card_id == card.id
                )
            ).all()
        )
        touching = select(LoyaltyPosting.entry_id).where(
            LoyaltyPosting.tenant_id == p.tenant_id, LoyaltyPosting.account_id.in_(list(accounts))
        )
        q = select(LoyaltyEntry).where(
            LoyaltyEntry.tenant_id == p.tenant_id,
            LoyaltyEntry.program_id == p.id,
            or_(LoyaltyEntry.card_id == card.id, LoyaltyEntry.id.in_(touching)),
        )
        if before_id is not None:  # beyond any id (and BIGINT): from the newest
            q = q.where(LoyaltyEntry.id < min(before_id, 2**62))
        entries = list(s.scalars(q.order_by(LoyaltyEntry.id.desc()).limit(limit)))
        moves: dict[tuple[int, str], int] = {}
        if entries:
            rows = s.execute(
                select(
                    LoyaltyPosting.entry_id,
                    LoyaltyPosting.account_id,
                    func.sum(LoyaltyPosting.amount_minor),
                )
                .where(
                    LoyaltyPosting.tenant_id == p.tenant_id,
                    LoyaltyPosting.entry_id.in_([e.id for e in entries]),
                    LoyaltyPosting.account_id.in_(list(accounts)),
                )
                .group_by(LoyaltyPosting.entry_id, LoyaltyPosting.account_id)
            ).all()
            for entry_id, account, amount in rows:
                key = (entry_id, accounts[account])
                moves[key] = moves.get(key, 0) + int(amount or 0)
        members = {e.member_business_id for e in entries}
        slugs = dict(
            s.execute(select(Business.id, Business.slug).where(Business.id.in_(members))).all()
        )
        owner = p.tenant_id == ctx.tenant_id
        out = []
        for e in entries:
            seen = owner or e.member_business_id == ctx.tenant_id
            out.append(
                CardEntry(
                    id=e.id,
                    at=_utc(e.at),
                    kind=e.kind,
                    available_change=units(moves.get((e.id, AccountKind.WALLET), 0), p),
                    pending_change=units(moves.get((e.id, AccountKind.PENDING), 0), p),
                    order=e.order_ref if seen else None,
                    business=slugs.get(e.member_business_id) if seen else None,
                )
            )
        return out


def card_expiring(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    number: str,
    days: int = 30,
    now: datetime | None = None,
) -> list[ExpiringLot]:
    """The card's earned value that expires within `days`, soonest first (one line per lot),
    so a till can say "50.00 expire on 1 March" while the customer is there."""
    if not 0 <= days <= MAX_DAYS:
        raise ValidationError(f"days must be between 0 and {MAX_DAYS}", field="days")
    until = (now or datetime.now(UTC)) + timedelta(days=days)
    with uow:
        s = uow.session
        card, p = find_card(s, ctx, number)
        lots = s.scalars(
            select(LoyaltyLot)
            .where(
                LoyaltyLot.tenant_id == p.tenant_id,
                LoyaltyLot.card_id == card.id,
                LoyaltyLot.status == AVAILABLE,
                LoyaltyLot.remaining_minor > 0,
                LoyaltyLot.expires_at.is_not(None),
                LoyaltyLot.expires_at <= until,
            )
            .order_by(LoyaltyLot.expires_at, LoyaltyLot.id)
        )
        out = []
        for lot in lots:
            assert lot.expires_at is not None
            out.append(
                ExpiringLot(
                    amount=units(lot.remaining_minor, p),
                    earned_at=_utc(lot.earned_at),
                    expires_at=_utc(lot.expires_at),
                )
            )
        return out


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)
