"""Earning: the quote at the till (writes nothing) and the accrual of an order.

Cashback may be accrued `pending`: it waits for the order's payment (`order_events.mark_paid`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from regulars.domain.errors import Conflict, ValidationError
from regulars.domain.loyalty import rules
from regulars.domain.loyalty.errors import InvalidAmount
from regulars.domain.loyalty.ledger import AccountKind, EntryKind, Posting
from regulars.domain.loyalty.program import ProgramSpec
from regulars.domain.money import minor_units
from regulars.services.context import BusinessContext
from regulars.services.loyalty.bonuses import birthday_facts
from regulars.services.loyalty.books import (
    account_id,
    check_active,
    clean_key,
    clean_ref,
    new_entry,
    replayed,
    request_hash,
    write_once,
)
from regulars.services.loyalty.holders import check_holder, holder_params
from regulars.services.loyalty.results import AccrualResult, BasketLine, QuoteResult, Reward
from regulars.services.loyalty.specs import check_currency, money, parse_money, units
from regulars.services.loyalty.tiering import upgrade_tier
from regulars.services.loyalty.till import (
    customer_facts,
    earlier,
    insert_lot_and_rewards,
    lock_holder,
    lot_row,
    previous_orders,
    set_tier,
)
from regulars.store.loyalty_tables import LoyaltyEntry
from regulars.store.uow import UnitOfWork


class OrderAlreadyAccrued(Conflict):
    """One accrual per order and program: a second one would pay the purchase twice."""

    code = "order_already_accrued"


def _basket(lines: Sequence[BasketLine | Sequence[object]]) -> list[rules.BasketLine]:
    out = []
    for raw in lines:
        line = BasketLine(*raw)
        try:
            out.append(
                rules.BasketLine(
                    str(line.sku),
                    Decimal(str(line.quantity)),
                    Decimal(str(line.unit_price)),
                    line.category,
                )
            )
        except ArithmeticError:
            raise ValidationError(f"line {line.sku!r}: not a number", field="basket") from None
    if not out:
        raise ValidationError("the basket is empty", field="basket")
    return out


def _rewards(rs: Sequence[rules.AppliedReward]) -> tuple[Reward, ...]:
    return tuple(Reward(r.rule, r.amount, r.reason) for r in rs)


def quote(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    card: str | None = None,
    basket: Sequence[BasketLine | Sequence[object]],
    redeem: Decimal | str = "0",
    currency: str | None = None,
    customer: str | None = None,
    program: str | None = None,
) -> QuoteResult:
    """What the basket costs with the card's discounts, what it earns, the most the balance may
    pay. Writes nothing. The card is named by its number or by its customer's external id."""
    check_holder(card, customer)
    lines = _basket(basket)
    try:
        wanted = Decimal(str(redeem))
    except ArithmeticError:
        raise InvalidAmount(f"{redeem!r} is not a number", field="redeem") from None
    with uow:
        s = uow.session
        held = lock_holder(s, ctx, card=card, customer=customer, program=program, lock=False)
        c, p = held.card, held.program
        check_currency(currency, p)
        available = units(held.acc.available, p)
        facts = birthday_facts(s, p, c, customer_facts(held, previous_orders(s, held)))
        q = rules.quote_basket(held.spec, lines, facts, available=available, redeem=wanted)
        return QuoteResult(
            card=c.number,
            tier=q.tier_code,
            currency=p.currency,
            total=q.subtotal,
            discount=q.discount,
            to_pay=q.total,
            earn=q.earn,
            max_redeem=q.max_redeem,
            available=available,
            rewards=_rewards(q.rewards),
        )


def _earned(
    spec: ProgramSpec,
    facts: rules.CustomerFacts,
    amount: Decimal | None,
    lines: list[rules.BasketLine] | None,
) -> tuple[Decimal, list[rules.AppliedReward]]:
    """(the order's amount paid, the rewards it brings) from an amount or a basket."""
    if lines is not None:
        q = rules.quote_basket(spec, lines, facts)
        return q.total, list(q.rewards)
    assert amount is not None
    return amount, list(rules.accrual_for_amount(spec, amount, facts))


def accrue(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    card: str | None = None,
    order: str,
    amount: Decimal | str | None = None,
    basket: Sequence[BasketLine | Sequence[object]] | None = None,
    currency: str | None = None,
    pending: bool = False,
    idempotency_key: str | None = None,
    at: datetime | None = None,
    customer: str | None = None,
    program: str | None = None,
) -> AccrualResult:
    """Credit what an order earns (from its paid `amount` or its `basket`), at `ctx`'s business.

    `pending=True` holds it until the order is paid. Snapshots of every reward are stored. The
    same key and request again → the first result; the same key, another request → refused.
    The card is named by its number or by its customer's external id (and `program`).
    """
    check_holder(card, customer)
    if (amount is None) == (basket is None):
        raise ValidationError("give an amount or a basket", field="amount")
    ref, key = clean_ref(order), clean_key(idempotency_key)
    lines = _basket(basket) if basket is not None else None
    fingerprint = request_hash(
        "accrue",
        **holder_params(card, customer, program),
        order=ref,
        amount=str(amount),
        basket=[[b.sku, str(b.quantity), str(b.unit_price), b.category] for b in lines or ()],
        currency=currency,
        pending=pending,
    )
    now = at or datetime.now(UTC)

    def work(s: Session) -> AccrualResult:
        held = lock_holder(s, ctx, card=card, customer=customer, program=program)
        c, p, spec, acc = held.card, held.program, held.spec, held.acc
        check_currency(currency, p)
        paid = None if amount is None else money(parse_money(amount, p), p)
        seen = earlier(s, held, key, ref)  # one round trip: the key's entry and the order's
        if seen.key_entry is not None:
            first = s.get_one(LoyaltyEntry, seen.key_entry)
            return replayed(first, key or "", fingerprint, AccrualResult)
        check_active(c)
        if seen.order_accrued:
            raise OrderAlreadyAccrued(f"order {ref} already earned in program {p.code}")
        facts = birthday_facts(s, p, c, customer_facts(held, seen.previous_orders))
        order_amount, applied = _earned(spec, facts, paid, lines)
        earned = sum((r.amount for r in applied if r.kind != "discount"), Decimal(0))
        minor = int(earned.scaleb(p.unit_digits))
        target = acc.pending if pending else acc.wallet
        clearing = account_id(s, p, AccountKind.CLEARING, member=ctx.tenant_id)
        tier_before = c.tier
        tier = upgrade_tier(s, p, spec, c, now, plus=order_amount)
        if tier != tier_before:
            set_tier(s, c, tier)
        result = AccrualResult(
            entry_id=0,
            card=c.number,
            order=ref,
            earned=units(minor, p),
            pending=pending,
            available=units(acc.available + (0 if pending else minor), p),
            pending_balance=units(acc.held + (minor if pending else 0), p),
            tier=tier,
            rewards=_rewards(applied),
        )
        entry = new_entry(
            s,
            ctx,
            p,
            EntryKind.ACCRUE,
            at=now,
            card_id=c.id,
            order_ref=ref,
            order_amount_minor=int(order_amount.scaleb(minor_units(p.currency))),
            postings=[Posting(clearing, -minor), Posting(target, minor)],
            idempotency_key=key,
            request_hash=fingerprint,
            result=result,
        )
        lot = None
        if minor:
            lot = lot_row(
                p,
                card_id=c.id,
                entry_id=entry.id,
                member=ctx.tenant_id,
                order_ref=ref,
                amount=minor,
                at=now,
                pending=pending,
            )
        currency_digits = minor_units(p.currency)
        insert_lot_and_rewards(
            s,
            lot,
            [
                {
                    "tenant_id": p.tenant_id,
                    "program_id": p.id,
                    "entry_id": entry.id,
                    "card_id": c.id,
                    "order_ref": ref,
                    "rule": r.rule,
                    "amount_minor": int(
                        r.amount.scaleb(currency_digits if r.kind == "discount" else p.unit_digits)
                    ),
                    "reason": r.reason,
                    "at": now,
                }
                for r in applied
            ],
        )
        return dataclasses.replace(result, entry_id=entry.id)

    return write_once(uow, work, keyed=key is not None)
