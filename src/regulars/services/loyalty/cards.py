"""Cards: issue (personal or bearer), find (by number or phone), block, replace, balance.

A partner business sees a card's balance and tier, never whose it is.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import ScalarSelect, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regulars.domain.contact_points import normalize_phone
from regulars.domain.errors import Conflict, ValidationError
from regulars.domain.loyalty.cards import make_number, normalize_number
from regulars.domain.loyalty.errors import UnknownCard
from regulars.domain.loyalty.ledger import AccountKind, EntryKind, Posting
from regulars.domain.loyalty.rules import welcome_bonus
from regulars.services.context import BusinessContext
from regulars.services.loyalty.books import (
    account_id,
    find_program,
    lock_cards,
    new_entry,
    open_account,
    programs_of,
)
from regulars.services.loyalty.books import (
    find_card as load_card,
)
from regulars.services.loyalty.lots import add_lot
from regulars.services.loyalty.results import CardBalance, CardInfo, ReplacementResult
from regulars.services.loyalty.specs import spec_of, units
from regulars.services.loyalty.tiering import first_tier
from regulars.services.order_queries import find_customer
from regulars.store.loyalty_tables import (
    LoyaltyAccount,
    LoyaltyBalance,
    LoyaltyCard,
    LoyaltyLot,
    LoyaltyMember,
    LoyaltyProgram,
    LoyaltyReward,
)
from regulars.store.tables import Phone
from regulars.store.uow import UnitOfWork

_TRIES = 5


def card_info(s: Session, ctx: BusinessContext, card: LoyaltyCard, p: LoyaltyProgram) -> CardInfo:
    successor = s.get(LoyaltyCard, card.replaced_by_id) if card.replaced_by_id else None
    return CardInfo(
        number=card.number,
        program=p.code,
        kind=card.kind,
        status=card.status,
        tier=card.tier,
        customer_id=card.customer_id if ctx.tenant_id == card.tenant_id else None,
        replaced_by=successor.number if successor else None,
        issued_at=card.issued_at,
    )


def _new_card(
    s: Session,
    ctx: BusinessContext,
    p: LoyaltyProgram,
    *,
    kind: str,
    customer_id: int | None,
    tier: str | None,
    now: datetime,
) -> LoyaltyCard:
    """A card with a random serial (bearer numbers must not be guessable) and its accounts."""
    assert p.card_prefix is not None
    for _ in range(_TRIES):
        card = LoyaltyCard(
            tenant_id=p.tenant_id,
            program_id=p.id,
            number=make_number(p.card_prefix, secrets.randbelow(10**9)),
            kind=kind,
            customer_id=customer_id,
            status="active",
            tier=tier,
            issued_by=ctx.tenant_id,
            issued_at=now,
            status_changed_at=now,
        )
        try:
            with s.begin_nested():
                s.add(card)
                s.flush()
        except IntegrityError:
            continue
        open_account(s, p, AccountKind.WALLET, card_id=card.id)
        open_account(s, p, AccountKind.PENDING, card_id=card.id)
        return card
    raise RuntimeError("could not draw a free card number")


def issue_card(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    program: str,
    customer: int | str | None = None,
    bearer: bool = False,
) -> CardInfo:
    """Issue a personal card (customer id or external id) or a bearer card; the program's welcome
    bonus, if any, is credited at once — once per customer (a second card earns none)."""
    if bearer == (customer is not None):
        raise ValidationError("give either a customer or --bearer", field="customer")
    now = datetime.now(UTC)
    with uow:
        s = uow.session
        p = find_program(s, ctx, program)
        customer_id = None
        if customer is not None:
            holder = find_customer(s, tenant_id=ctx.tenant_id, ref=customer)
            if holder.status != "active":  # merged: use the survivor; erased: nobody to hold it
                raise Conflict(f"customer {customer} is {holder.status}: no card can be issued")
            customer_id = holder.id
        spec = spec_of(p)
        card = _new_card(
            s,
            ctx,
            p,
            kind="bearer" if bearer else "personal",
            customer_id=customer_id,
            tier=first_tier(spec),
            now=now,
        )
        bonus = welcome_bonus(spec)
        if bonus is not None and not _welcomed_before(s, p, customer_id, card.id):
            minor = int(bonus.amount.scaleb(p.unit_digits))
            wallet = account_id(s, p, AccountKind.WALLET, card_id=card.id)
            clearing = account_id(s, p, AccountKind.CLEARING, member=ctx.tenant_id)
            entry = new_entry(
                s,
                ctx,
                p,
                EntryKind.ACCRUE,
                at=now,
                card_id=card.id,
                postings=[Posting(clearing, -minor), Posting(wallet, minor)],
            )
            add_lot(
                s,
                p,
                card_id=card.id,
                entry_id=entry.id,
                member=ctx.tenant_id,
                order_ref=None,
                amount=minor,
                at=now,
                pending=False,
            )
            s.add(
                LoyaltyReward(
                    tenant_id=p.tenant_id,
                    program_id=p.id,
                    entry_id=entry.id,
                    card_id=card.id,
                    order_ref=None,
                    rule=bonus.rule,
                    amount_minor=minor,
                    reason=bonus.reason,
                    at=now,
                )
            )
        s.flush()
        return card_info(s, ctx, card, p)


def _welcomed_before(s: Session, p: LoyaltyProgram, customer_id: int | None, card_id: int) -> bool:
    """A customer's earlier cards in this program already got the welcome bonus (bearer: never)."""
    if customer_id is None:
        return False
    earlier = select(LoyaltyCard.id).where(
        LoyaltyCard.tenant_id == p.tenant_id,
        LoyaltyCard.program_id == p.id,
        LoyaltyCard.customer_id == customer_id,
        LoyaltyCard.id != card_id,
    )
    found = s.scalar(
        select(LoyaltyReward.id)
        .where(
            LoyaltyReward.program_id == p.id,
            LoyaltyReward.rule == "welcome",  # rules.welcome_bonus
            LoyaltyReward.card_id.in_(earlier),
        )
        .limit(1)
    )
    return found is not None


def find_cards(
    uow: UnitOfWork, *, ctx: BusinessContext, number: str | None = None, phone: str | None = None
) -> list[CardInfo]:
    """By number (one card) or by the phone of one of this business's customers (their cards)."""
    if (number is None) == (phone is None):
        raise ValidationError("give a card number or a phone", field="card")
    with uow:
        s = uow.session
        if number is not None:
            card, p = load_card(s, ctx, number)
            return [card_info(s, ctx, card, p)]
        e164 = normalize_phone(phone or "", ctx.default_region)
        customers = select(Phone.customer_id).where(
            Phone.tenant_id == ctx.tenant_id, Phone.e164 == e164
        )
        programs = {p.id: p for p in programs_of(s, ctx)}
        cards = s.scalars(
            select(LoyaltyCard)
            .where(
                LoyaltyCard.customer_id.in_(customers),
                LoyaltyCard.program_id.in_(list(programs)),
            )
            .order_by(LoyaltyCard.id)
        )
        return [card_info(s, ctx, c, programs[c.program_id]) for c in cards]


def block_card(uow: UnitOfWork, *, ctx: BusinessContext, number: str) -> CardInfo:
    """A lost card stops earning and spending at once; its balance waits for `replace_card`."""
    with uow.locking() as w:
        s = w.session
        card, p = load_card(s, ctx, number)
        lock_cards(s, p, [card.id])
        if card.status == "active":
            card.status = "blocked"
            card.status_changed_at = datetime.now(UTC)
        return card_info(s, ctx, card, p)


def replace_card(uow: UnitOfWork, *, ctx: BusinessContext, number: str) -> ReplacementResult:
    """Issue a successor and move the balance, pending value and lots to it in one entry."""
    now = datetime.now(UTC)
    with uow.locking() as w:
        s = w.session
        old, p = load_card(s, ctx, number)
        acc = lock_cards(s, p, [old.id])[old.id]
        if old.status == "replaced":
            raise ValidationError(f"card {old.number} was already replaced", field="card")
        new = _new_card(
            s, ctx, p, kind=old.kind, customer_id=old.customer_id, tier=old.tier, now=now
        )
        old.status, old.replaced_by_id, old.status_changed_at = "replaced", new.id, now
        wallet = account_id(s, p, AccountKind.WALLET, card_id=new.id)
        pending = account_id(s, p, AccountKind.PENDING, card_id=new.id)
        entry_id = None
        if acc.available or acc.held:
            entry = new_entry(
                s,
                ctx,
                p,
                EntryKind.REPLACE,
                at=now,
                card_id=new.id,
                postings=[
                    Posting(acc.wallet, -acc.available),
                    Posting(wallet, acc.available),
                    Posting(acc.pending, -acc.held),
                    Posting(pending, acc.held),
                ],
            )
            entry_id = entry.id
        s.execute(
            update(LoyaltyLot)
            .where(LoyaltyLot.tenant_id == p.tenant_id, LoyaltyLot.card_id == old.id)
            .values(card_id=new.id)
        )
        return ReplacementResult(
            old=old.number,
            new=new.number,
            moved_available=units(acc.available, p),
            moved_pending=units(acc.held, p),
            entry_id=entry_id,
        )


def balance_of(s: Session, card: LoyaltyCard, p: LoyaltyProgram) -> CardBalance:
    rows = dict(
        s.execute(
            select(LoyaltyAccount.kind, LoyaltyBalance.balance_minor)
            .join(LoyaltyBalance, LoyaltyBalance.account_id == LoyaltyAccount.id)
            .where(LoyaltyAccount.tenant_id == p.tenant_id, LoyaltyAccount.card_id == card.id)
        ).all()
    )
    return CardBalance(
        number=card.number,
        program=p.code,
        unit="points" if p.kind == "points" else p.currency,
        available=units(rows.get(AccountKind.WALLET, 0), p),
        pending=units(rows.get(AccountKind.PENDING, 0), p),
        tier=card.tier,
        status=card.status,
    )


def _balance(kind: AccountKind) -> ScalarSelect[int]:
    """The card's balance in its account of this kind (None when it has none)."""
    return (
        select(LoyaltyBalance.balance_minor)
        .join(LoyaltyAccount, LoyaltyBalance.account_id == LoyaltyAccount.id)
        .where(
            LoyaltyAccount.tenant_id == LoyaltyProgram.tenant_id,
            LoyaltyAccount.card_id == LoyaltyCard.id,
            LoyaltyAccount.kind == kind.value,
        )
        .scalar_subquery()
    )


# A till asks at every scan: the card, its program and both balances in one statement, built
# once (the rows `find_card` and `balance_of` read).
_CARD_BALANCE = (
    select(LoyaltyCard, LoyaltyProgram, _balance(AccountKind.WALLET), _balance(AccountKind.PENDING))
    .join(LoyaltyProgram, LoyaltyProgram.id == LoyaltyCard.program_id)
    .join(LoyaltyMember, LoyaltyMember.program_id == LoyaltyProgram.id)
    .where(
        LoyaltyCard.number == bindparam("number"),
        LoyaltyMember.business_id == bindparam("business"),
    )
)


def card_balance(uow: UnitOfWork, *, ctx: BusinessContext, number: str) -> CardBalance:
    """Available and pending value and the tier; any coalition member may ask."""
    digits = normalize_number(number)
    with uow:
        row = uow.session.execute(
            _CARD_BALANCE, {"number": digits, "business": ctx.tenant_id}
        ).first()
        if row is None:
            raise UnknownCard(f"no card {digits}", field="card")
        card, p, wallet, pending = row
        return CardBalance(
            number=card.number,
            program=p.code,
            unit="points" if p.kind == "points" else p.currency,
            available=units(wallet or 0, p),
            pending=units(pending or 0, p),
            tier=card.tier,
            status=card.status,
        )
