"""Vouchers: create batches of readable codes, redeem one on an order, show one.

A redemption is a ledger entry without postings (the discount is the shop's, not the card's
value) carrying the reward snapshot; the voucher row is locked and single-use vouchers also have
a unique use key, so ten racing tills get exactly one success.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regulars.domain.errors import NotFound, ValidationError
from regulars.domain.loyalty.ledger import EntryKind
from regulars.domain.loyalty.vouchers import (
    Voucher,
    check_voucher,
    generate_code,
    normalize_code,
    validate_voucher,
    voucher_reward,
)
from regulars.domain.money import minor_units
from regulars.services.context import BusinessContext
from regulars.services.loyalty.books import (
    clean_key,
    clean_ref,
    find_card,
    find_program,
    new_entry,
    replay,
    request_hash,
    write_once,
)
from regulars.services.order_queries import find_customer
from regulars.store.loyalty_offer_tables import LoyaltyVoucher, LoyaltyVoucherUse
from regulars.store.loyalty_tables import LoyaltyProgram, LoyaltyReward
from regulars.store.uow import UnitOfWork

VOUCHER_ENTRY = cast(EntryKind, "voucher")  # an entry kind of its own: it moves no value
KINDS = ("amount", "percent", "gift")  # gift: a fixed amount given away, like "amount"
MAX_BATCH = 10_000


class UnknownVoucher(NotFound):
    code = "unknown_voucher"


@dataclass(frozen=True, slots=True)
class VoucherInfo:
    code: str
    program: str
    kind: str
    value: Decimal
    currency: str
    valid_from: date | None
    valid_until: date | None
    max_uses: int | None
    per_customer_limit: int | None
    min_spend: Decimal
    uses: int


@dataclass(frozen=True, slots=True)
class VoucherRedemption:
    entry_id: int
    code: str
    order: str
    discount: Decimal
    currency: str
    uses_left: int | None
    replayed: bool = False


def _decimal(value: Decimal | str | int, field: str) -> Decimal:
    try:
        out = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"{value!r} is not a number", field=field) from None
    if not out.is_finite():
        raise ValidationError(f"{value!r} is not a number", field=field)
    return out


def _domain(v: LoyaltyVoucher, p: LoyaltyProgram) -> Voucher:
    return Voucher(
        code=v.code,
        currency=p.currency,
        kind="percent" if v.kind == "percent" else "amount",
        value=Decimal(v.value),
        valid_from=v.valid_from,
        valid_until=v.valid_until,
        max_uses=v.max_uses,
        per_customer_limit=v.per_customer_limit,
        min_spend=Decimal(v.min_spend_minor).scaleb(-minor_units(p.currency)),
    )


def _uses(s: Session, v: LoyaltyVoucher, customer_key: str | None = None) -> int:
    q = select(func.count()).where(
        LoyaltyVoucherUse.tenant_id == v.tenant_id, LoyaltyVoucherUse.voucher_id == v.id
    )
    if customer_key is not None:
        q = q.where(LoyaltyVoucherUse.customer_key == customer_key)
    return int(s.scalar(q) or 0)


def _info(s: Session, v: LoyaltyVoucher, p: LoyaltyProgram) -> VoucherInfo:
    d = _domain(v, p)
    return VoucherInfo(
        d.code, p.code, v.kind, d.value, p.currency, d.valid_from, d.valid_until,
        d.max_uses, d.per_customer_limit, d.min_spend, _uses(s, v),
    )  # fmt: skip


def create_vouchers(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    program: str,
    kind: str,
    value: Decimal | str,
    count: int = 1,
    valid_from: date | None = None,
    valid_until: date | None = None,
    max_uses: int | None = 1,
    per_customer_limit: int | None = 1,
    min_spend: Decimal | str = "0",
    prefix: str = "",
) -> list[VoucherInfo]:
    """`count` new codes with the same terms (validated by the domain before anything is made)."""
    if kind not in KINDS:
        raise ValidationError(f"voucher kind must be one of {', '.join(KINDS)}", field="kind")
    if not 1 <= count <= MAX_BATCH:
        raise ValidationError(f"count must be 1–{MAX_BATCH}", field="count")
    amount, floor = _decimal(value, "value"), _decimal(min_spend, "min_spend")
    now = datetime.now(UTC)
    with uow:
        s = uow.session
        p = find_program(s, ctx, program)
        digits = minor_units(p.currency)
        if kind != "percent" and amount.scaleb(digits) != amount.scaleb(digits).to_integral():
            raise ValidationError(f"{amount} has too many decimals for {p.currency}", field="value")
        rows = []
        for _ in range(count):
            d = validate_voucher(
                Voucher(
                    generate_code(10, prefix=prefix),
                    p.currency,
                    "percent" if kind == "percent" else "amount",
                    amount,
                    valid_from,
                    valid_until,
                    max_uses,
                    per_customer_limit,
                    floor,
                )
            )
            row = LoyaltyVoucher(
                tenant_id=ctx.tenant_id,
                program_id=p.id,
                code=d.code,
                kind=kind,
                value=str(amount),
                valid_from=valid_from,
                valid_until=valid_until,
                max_uses=max_uses,
                per_customer_limit=per_customer_limit,
                min_spend_minor=int(floor.scaleb(digits)),
                created_at=now,
            )
            s.add(row)
            rows.append(row)
        s.flush()
        return [_info(s, r, p) for r in rows]


def _load(s: Session, ctx: BusinessContext, code: str, *, lock: bool = False) -> LoyaltyVoucher:
    q = select(LoyaltyVoucher).where(
        LoyaltyVoucher.tenant_id == ctx.tenant_id, LoyaltyVoucher.code == normalize_code(code)
    )
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    v = s.scalar(q)
    if v is None:
        raise UnknownVoucher(f"no voucher {normalize_code(code)}", field="code")
    return v


def show_voucher(uow: UnitOfWork, *, ctx: BusinessContext, code: str) -> VoucherInfo:
    with uow:
        s = uow.session
        v = _load(s, ctx, code)
        p = s.get_one(LoyaltyProgram, v.program_id)
        return _info(s, v, p)


def redeem_voucher(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    code: str,
    order: str,
    order_total: Decimal | str,
    card: str | None = None,
    customer: int | str | None = None,
    idempotency_key: str | None = None,
    today: date | None = None,
) -> VoucherRedemption:
    """Use a voucher on an order for a card's holder or a customer; refusals say why."""
    if card is None and customer is None:
        raise ValidationError("give a card or a customer", field="card")
    ref, key = clean_ref(order), clean_key(idempotency_key)
    total = _decimal(order_total, "order_total")
    if total <= 0:
        raise ValidationError("the order total must be above 0", field="order_total")
    fingerprint = request_hash(
        "voucher", code=normalize_code(code), order=ref, total=str(total), card=card,
        customer=str(customer),
    )  # fmt: skip
    now = datetime.now(UTC)
    day = today or now.date()

    def work(s: Session) -> VoucherRedemption:
        v = _load(s, ctx, code, lock=True)
        p = s.get_one(LoyaltyProgram, v.program_id)
        first = replay(s, p, key, fingerprint, VoucherRedemption)
        if first is not None:
            return first
        card_id = customer_id = None
        if card is not None:
            c, cp = find_card(s, ctx, card)
            if cp.id != p.id:
                raise ValidationError(f"card {c.number} is not in program {p.code}", field="card")
            card_id, customer_id = c.id, c.customer_id
        if customer is not None:
            customer_id = find_customer(s, tenant_id=ctx.tenant_id, ref=customer).id
        who = f"customer:{customer_id}" if customer_id is not None else f"card:{card_id}"
        d = _domain(v, p)
        used = _uses(s, v)
        check_voucher(
            d, customer_uses=_uses(s, v, who), total_uses=used, today=day, order_total=total
        )
        reward = voucher_reward(d, total)
        minor = int(reward.amount.scaleb(minor_units(p.currency)))
        left = None if v.max_uses is None else v.max_uses - used - 1
        result = VoucherRedemption(0, v.code, ref, reward.amount, p.currency, left)
        entry = new_entry(
            s, ctx, p, VOUCHER_ENTRY, at=now, postings=[], card_id=card_id, order_ref=ref,
            idempotency_key=key, request_hash=fingerprint, result=result,
        )  # fmt: skip
        s.add(
            LoyaltyVoucherUse(
                tenant_id=ctx.tenant_id,
                voucher_id=v.id,
                single_key=v.id if v.max_uses == 1 else None,
                customer_key=who,
                customer_id=customer_id,
                card_id=card_id,
                entry_id=entry.id,
                order_ref=ref,
                amount_minor=minor,
                at=now,
            )
        )
        s.add(
            LoyaltyReward(
                tenant_id=p.tenant_id, program_id=p.id, entry_id=entry.id, card_id=card_id,
                order_ref=ref, rule=reward.rule[:50], amount_minor=minor, reason=reward.reason,
                at=now,
            )
        )  # fmt: skip
        s.flush()
        return dataclasses.replace(result, entry_id=entry.id)

    return write_once(uow, work, keyed=True)
