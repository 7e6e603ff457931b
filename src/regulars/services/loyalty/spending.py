"""Spending and refunds: redeem under the card's lock; refunds in proportion, creating no value."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from regulars.domain.errors import ValidationError
from regulars.domain.loyalty import rules
from regulars.domain.loyalty.errors import InsufficientBalance, RefundExceedsOrder
from regulars.domain.loyalty.ledger import AccountKind, EntryKind, Posting, refund_share
from regulars.domain.loyalty.rule_errors import RedeemAboveCap
from regulars.services.context import BusinessContext
from regulars.services.loyalty.books import (
    account_id,
    check_active,
    clean_key,
    clean_ref,
    lock_cards,
    new_entry,
    replay,
    request_hash,
    write_once,
)
from regulars.services.loyalty.holders import check_holder, holder_params
from regulars.services.loyalty.results import RedemptionResult, RefundResult
from regulars.services.loyalty.reversals import order_program, post_reversal, read_order
from regulars.services.loyalty.specs import (
    check_currency,
    money,
    parse_money,
    parse_units,
    units,
)
from regulars.services.loyalty.till import consume_available, lock_holder
from regulars.store.uow import UnitOfWork


def redeem(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    card: str | None = None,
    amount: Decimal | str,
    order: str,
    order_total: Decimal | str | None = None,
    currency: str | None = None,
    idempotency_key: str | None = None,
    at: datetime | None = None,
    customer: str | None = None,
    program: str | None = None,
) -> RedemptionResult:
    """Pay `amount` (program units) of an order from the card, oldest lots first.

    The balance is re-read under the card's lock, so concurrent redemptions can never spend the
    same value twice. With `order_total` the program's cap on paying with the balance applies.
    The card is named by its number or by its customer's external id (and `program`).
    """
    check_holder(card, customer)
    ref, key = clean_ref(order), clean_key(idempotency_key)
    fingerprint = request_hash(
        "redeem",
        **holder_params(card, customer, program),
        order=ref,
        amount=str(amount),
        order_total=None if order_total is None else str(order_total),
        currency=currency,
    )
    now = at or datetime.now(UTC)

    retry = False  # set after a first attempt failed: the key may have been used meanwhile

    def work(s: Session) -> RedemptionResult:
        nonlocal retry
        held = lock_holder(s, ctx, card=card, customer=customer, program=program)
        c, p, acc = held.card, held.program, held.acc
        check_currency(currency, p)
        minor = parse_units(amount, p)
        total = None if order_total is None else parse_money(order_total, p, field="order_total")
        # A new key is the rule: its look-up is left to the entry's unique constraint (a reused
        # key fails the insert and the retry looks). Refusals look first: a retried request that
        # succeeded gets its first answer even if the balance has gone since.
        cap = None
        if total is not None:
            cap = rules.redeem_cap(held.spec, money(total, p), units(acc.available, p))
        above_cap = cap is not None and units(minor, p) > cap
        if retry or above_cap or minor > acc.available or c.status != "active":
            first = replay(s, p, key, fingerprint, RedemptionResult)
            if first is not None:
                return first
        retry = True
        check_active(c)
        if minor > acc.available:
            raise InsufficientBalance(
                f"card {c.number} has {units(acc.available, p)}, not {units(minor, p)}",
                field="amount",
            )
        if above_cap:
            raise RedeemAboveCap(f"at most {cap} can pay this order", field="amount")
        result = RedemptionResult(
            entry_id=0,
            card=c.number,
            order=ref,
            redeemed=units(minor, p),
            available=units(acc.available - minor, p),
            pending_balance=units(acc.held, p),
        )
        clearing = account_id(s, p, AccountKind.CLEARING, member=ctx.tenant_id)
        entry = new_entry(
            s,
            ctx,
            p,
            EntryKind.REDEEM,
            at=now,
            card_id=c.id,
            order_ref=ref,
            order_amount_minor=total,
            postings=[Posting(acc.wallet, -minor), Posting(clearing, minor)],
            idempotency_key=key,
            request_hash=fingerprint,
            result=result,
        )
        consume_available(
            s,
            p,
            c.id,
            minor,
            entry_id=entry.id,
            kind=EntryKind.REDEEM,
            spent_at=ctx.tenant_id,
            at=now,
        )
        return dataclasses.replace(result, entry_id=entry.id)

    return write_once(uow, work, keyed=key is not None)


def refund_in(
    s: Session,
    ctx: BusinessContext,
    ref: str,
    *,
    amount: Decimal | str | None = None,
    currency: str | None = None,
    program: str | None = None,
    key: str | None = None,
    fingerprint: str | None = None,
    at: datetime | None = None,
) -> RefundResult:
    """`refund` inside the caller's transaction (the order lifecycle uses it on `refunded`)."""
    now = at or datetime.now(UTC)
    p = order_program(s, ctx, ref, program)
    check_currency(currency, p)
    asked = None if amount is None else parse_money(amount, p)
    book = read_order(s, p, ref)
    accs = lock_cards(s, p, book.cards(s))
    first = replay(s, p, key, fingerprint or "", RefundResult)
    if first is not None:
        return first
    book = read_order(s, p, ref)  # re-read under the lock: a refund may just have committed
    if book.basis is None and asked is not None:
        raise ValidationError(
            f"the amount of order {ref} is unknown here: refund it in full", field="amount"
        )
    basis = book.basis or 1
    left = basis - book.refunded
    part = left if asked is None else asked
    if left <= 0 or part > left:
        raise RefundExceedsOrder(
            f"order {ref}: {money(max(left, 0), p) if book.basis else 0} is left to refund",
            field="amount",
        )
    share = refund_share(
        order_total=basis,
        refunded_before=book.refunded,
        refund=part,
        accrued=book.accrued,
        reversed_before=book.reversed,
        redeemed=book.redeemed,
        given_back_before=book.given_back,
    )
    shown = money(part if book.basis else 0, p)
    done = money(book.refunded + part if book.basis else 0, p)

    def result(taken: int, unrecovered: int) -> RefundResult:
        return RefundResult(
            entry_id=None,
            order=ref,
            refunded=shown,
            refunded_total=done,
            reversed=units(taken, p),
            given_back=units(share.give_back, p),
            unrecovered=units(unrecovered, p),
        )

    rev = post_reversal(
        s,
        ctx,
        p,
        book,
        accs,
        kind=EntryKind.REFUND,
        give_back=share.give_back,
        reverse=share.reverse,
        at=now,
        order_ref=ref,
        order_amount_minor=part,
        idempotency_key=key,
        request_hash=fingerprint,
        make_result=result,
    )
    return dataclasses.replace(result(rev.taken, rev.unrecovered), entry_id=rev.entry.id)


def refund(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    order: str,
    amount: Decimal | str | None = None,
    currency: str | None = None,
    program: str | None = None,
    idempotency_key: str | None = None,
    at: datetime | None = None,
) -> RefundResult:
    """Refund `amount` of the order (all that is left when None): take back what it earned and
    give back what was redeemed on it, both in proportion, on cumulative totals.

    Refunds of one order never add up to more than the order; rounding never favours the card.
    """
    ref, key = clean_ref(order), clean_key(idempotency_key)
    fingerprint = request_hash(
        "refund",
        order=ref,
        amount=None if amount is None else str(amount),
        currency=currency,
        program=program,
    )
    return write_once(
        uow,
        lambda s: refund_in(
            s,
            ctx,
            ref,
            amount=amount,
            currency=currency,
            program=program,
            key=key,
            fingerprint=fingerprint,
            at=at,
        ),
        keyed=key is not None,
    )
