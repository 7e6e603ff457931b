"""Bonuses paid through the ledger: birthday (via the accrual's facts) and referrals.

Every credit carries an idempotency key derived from its cause (`referral:7:referrer`,
`rebate:3:2026-Q4`), so a re-run, a retry or a race never pays the same cause twice. The welcome
bonus is credited by `cards.issue_card` itself, once per issued card.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.domain.errors import Conflict, ValidationError
from regulars.domain.loyalty import rules
from regulars.domain.loyalty.birthdays import birthday_in, birthday_period_key
from regulars.domain.loyalty.ledger import AccountKind, EntryKind, Posting
from regulars.domain.orders import REVENUE
from regulars.services.context import BusinessContext
from regulars.services.loyalty.books import (
    account_id,
    find_program,
    new_entry,
    programs_of,
    write_once,
)
from regulars.services.loyalty.lots import add_lot
from regulars.services.loyalty.specs import spec_of, units
from regulars.services.order_queries import find_customer
from regulars.store.loyalty_offer_tables import LoyaltyReferral
from regulars.store.loyalty_tables import (
    LoyaltyCard,
    LoyaltyEntry,
    LoyaltyLot,
    LoyaltyProgram,
    LoyaltyReward,
)
from regulars.store.tables import Customer, Order
from regulars.store.uow import UnitOfWork


class SelfReferral(ValidationError):
    code = "self_referral"


class AlreadyReferred(Conflict):
    code = "already_referred"


@dataclass(frozen=True, slots=True)
class ReferralInfo:
    id: int
    program: str
    referrer: str
    referee: str
    rewarded_at: datetime | None
    referrer_bonus: Decimal | None = None
    referee_bonus: Decimal | None = None


def credit_bonus(
    s: Session,
    ctx: BusinessContext,
    p: LoyaltyProgram,
    *,
    card_id: int,
    minor: int,
    rule: str,
    reason: str,
    key: str,
    at: datetime,
) -> bool:
    """Credit `minor` units to a card's wallet once per `key`; False when it was already paid."""
    done = s.scalar(
        select(LoyaltyEntry.id).where(
            LoyaltyEntry.program_id == p.id, LoyaltyEntry.idempotency_key == key
        )
    )
    if done is not None or minor <= 0:
        return False
    wallet = account_id(s, p, AccountKind.WALLET, card_id=card_id)
    clearing = account_id(s, p, AccountKind.CLEARING, member=ctx.tenant_id)
    entry = new_entry(
        s, ctx, p, EntryKind.ACCRUE, at=at, card_id=card_id, idempotency_key=key,
        request_hash=key, postings=[Posting(clearing, -minor), Posting(wallet, minor)],
    )  # fmt: skip
    add_lot(
        s, p, card_id=card_id, entry_id=entry.id, member=ctx.tenant_id, order_ref=None,
        amount=minor, at=at, pending=False,
    )  # fmt: skip
    s.add(
        LoyaltyReward(
            tenant_id=p.tenant_id, program_id=p.id, entry_id=entry.id, card_id=card_id,
            order_ref=None, rule=rule[:50], amount_minor=minor, reason=reason, at=at,
        )
    )  # fmt: skip
    s.flush()
    return True


def customer_card(s: Session, p: LoyaltyProgram, customer_id: int) -> LoyaltyCard | None:
    """The customer's oldest active personal card in the program: where their bonuses go."""
    return s.scalar(
        select(LoyaltyCard)
        .where(
            LoyaltyCard.tenant_id == p.tenant_id,
            LoyaltyCard.program_id == p.id,
            LoyaltyCard.customer_id == customer_id,
            LoyaltyCard.status == "active",
        )
        .order_by(LoyaltyCard.id)
    )


# --- birthday ---------------------------------------------------------------------------------


def birthday_facts(
    s: Session,
    p: LoyaltyProgram,
    card: LoyaltyCard,
    facts: rules.CustomerFacts,
    today: date | None = None,
) -> rules.CustomerFacts:
    """`facts` with the birthday period filled in (for earning's accrue and quote). Costs
    nothing for programs without a birthday bonus or bearer cards."""
    if card.customer_id is None or Decimal(p.rules.get("birthday_bonus", "0")) <= 0:
        return facts
    day = today or datetime.now(UTC).date()
    born = s.scalar(
        select(Customer.birthday).where(
            Customer.tenant_id == card.tenant_id, Customer.id == card.customer_id
        )
    )
    window = int(p.rules.get("birthday_window_days", 7))
    year = birthday_period_key(born, day, window_days=window) if born else None
    if born is None or year is None:
        return facts
    start = datetime.combine(birthday_in(year, born) - timedelta(days=window), time(), UTC)
    cards = select(LoyaltyCard.id).where(
        LoyaltyCard.tenant_id == card.tenant_id, LoyaltyCard.customer_id == card.customer_id
    )
    taken = s.scalar(
        select(LoyaltyReward.id)
        .where(
            LoyaltyReward.tenant_id == p.tenant_id,
            LoyaltyReward.program_id == p.id,
            LoyaltyReward.rule == "birthday",
            LoyaltyReward.card_id.in_(cards),
            LoyaltyReward.at >= start,
        )
        .limit(1)
    )
    return dataclasses.replace(
        facts, is_birthday_period=True, birthday_bonus_taken=taken is not None
    )


# --- referrals --------------------------------------------------------------------------------


def _name(c: Customer) -> str:
    return c.external_id or str(c.id)


def _referral_info(
    s: Session, r: LoyaltyReferral, p: LoyaltyProgram, **extra: object
) -> ReferralInfo:
    a, b = s.get_one(Customer, r.referrer_id), s.get_one(Customer, r.referee_id)
    return ReferralInfo(r.id, p.code, _name(a), _name(b), r.rewarded_at, **extra)  # type: ignore[arg-type]


def record_referral(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    program: str,
    referrer: int | str,
    referee: int | str,
) -> ReferralInfo:
    """Remember who brought whom; a customer is referred at most once per program."""
    with uow:
        s = uow.session
        p = find_program(s, ctx, program)
        a = find_customer(s, tenant_id=ctx.tenant_id, ref=referrer)
        b = find_customer(s, tenant_id=ctx.tenant_id, ref=referee)
        if a.id == b.id:
            raise SelfReferral("a customer cannot refer themselves", field="referee")
        taken = s.scalar(
            select(LoyaltyReferral.id).where(
                LoyaltyReferral.program_id == p.id, LoyaltyReferral.referee_id == b.id
            )
        )
        if taken is not None:
            raise AlreadyReferred(f"customer {_name(b)} was already referred in {p.code}")
        row = LoyaltyReferral(
            tenant_id=ctx.tenant_id, program_id=p.id, referrer_id=a.id, referee_id=b.id,
            created_at=datetime.now(UTC), rewarded_at=None,
        )  # fmt: skip
        s.add(row)
        s.flush()
        return _referral_info(s, row, p)


def _has_paid_order(s: Session, p: LoyaltyProgram, customer_id: int) -> bool:
    """A paid order: in the order book with a revenue status, or an accrual on one of the
    customer's cards that is no longer pending."""
    ordered = s.scalar(
        select(Order.id)
        .where(
            Order.tenant_id == p.tenant_id,
            Order.customer_id == customer_id,
            Order.status.in_([str(x) for x in REVENUE]),
        )
        .limit(1)
    )
    if ordered is not None:
        return True
    pending = select(LoyaltyLot.entry_id).where(
        LoyaltyLot.tenant_id == p.tenant_id, LoyaltyLot.status == "pending"
    )
    accrued = s.scalar(
        select(LoyaltyEntry.id)
        .join(LoyaltyCard, LoyaltyCard.id == LoyaltyEntry.card_id)
        .where(
            LoyaltyEntry.tenant_id == p.tenant_id,
            LoyaltyEntry.program_id == p.id,
            LoyaltyEntry.kind == EntryKind.ACCRUE,
            LoyaltyEntry.order_ref.is_not(None),
            LoyaltyCard.customer_id == customer_id,
            LoyaltyEntry.id.not_in(pending),
        )
        .limit(1)
    )
    return accrued is not None


def _pay_one(
    s: Session, ctx: BusinessContext, p: LoyaltyProgram, r: LoyaltyReferral, now: datetime
) -> ReferralInfo | None:
    if not _has_paid_order(s, p, r.referee_id):
        return None
    bonuses = rules.referral_bonuses(spec_of(p))
    paid: dict[str, Decimal | None] = {}
    for side, customer_id, bonus in (
        ("referrer", r.referrer_id, bonuses.referrer),
        ("referee", r.referee_id, bonuses.referee),
    ):
        if bonus is None:
            continue
        card = customer_card(s, p, customer_id)
        if card is None:
            return None  # wait until both have a card
        minor = int(bonus.amount.scaleb(p.unit_digits))
        key = f"referral:{r.id}:{side}"
        credit_bonus(
            s, ctx, p, card_id=card.id, minor=minor, rule=bonus.rule, reason=bonus.reason,
            key=key, at=now,
        )  # fmt: skip
        paid[f"{side}_bonus"] = units(minor, p)
    r.rewarded_at = now
    return _referral_info(s, r, p, **paid)


def pay_referrals(
    uow: UnitOfWork, *, ctx: BusinessContext, at: datetime | None = None
) -> list[ReferralInfo]:
    """Reward every referral whose referee has a paid order (both sides, once each)."""
    now = at or datetime.now(UTC)

    def work(s: Session) -> list[ReferralInfo]:
        out = []
        for p in programs_of(s, ctx):
            if p.tenant_id != ctx.tenant_id:
                continue
            open_ = s.scalars(
                select(LoyaltyReferral)
                .where(
                    LoyaltyReferral.tenant_id == ctx.tenant_id,
                    LoyaltyReferral.program_id == p.id,
                    LoyaltyReferral.rewarded_at.is_(None),
                )
                .order_by(LoyaltyReferral.id)
            ).all()
            for r in open_:
                info = _pay_one(s, ctx, p, r, now)
                if info is not None:
                    out.append(info)
        s.flush()
        return out

    return write_once(uow, work, keyed=True)
