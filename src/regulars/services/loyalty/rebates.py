"""Distributor rebates: define a scheme, run a closed period, read a statement.

Volume comes from the order book (orders with a revenue status placed in the period, in the
program's currency). The rebate is credited to the distributor's card with the key
`rebate:<scheme>:<period>` and the statement is unique per scheme and period, so a re-run pays
once and returns the stored statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regulars.domain.errors import DomainError, NotFound, ValidationError
from regulars.domain.loyalty.rebates import (
    Purchase,
    RebateBracket,
    RebatePeriod,
    RebateScheme,
    parse_brackets,
    parse_period,
    rebate_statement,
    validate_scheme,
)
from regulars.domain.money import minor_units
from regulars.domain.orders import REVENUE
from regulars.services.context import BusinessContext
from regulars.services.loyalty.bonuses import credit_bonus, customer_card
from regulars.services.loyalty.books import find_program, programs_of, write_once
from regulars.services.order_queries import find_customer
from regulars.store.loyalty_offer_tables import LoyaltyRebateScheme, LoyaltyRebateStatement
from regulars.store.loyalty_tables import LoyaltyCard, LoyaltyEntry, LoyaltyProgram
from regulars.store.tables import Customer, Order, OrderLine
from regulars.store.uow import UnitOfWork

PERIOD_KINDS = {1: "month", 3: "quarter", 12: "year"}
SCHEME_KINDS = ("quantitative", "fixed")


class PeriodOpen(DomainError):
    """A rebate is credited at the period's end, never before."""

    code = "period_open"


class UnknownStatement(NotFound):
    code = "unknown_rebate_statement"


@dataclass(frozen=True, slots=True)
class RebateSchemeInfo:
    program: str
    distributor: str
    kind: str
    brackets: str
    mode: str
    per_unit: Decimal
    per_order: Decimal
    period_kind: str


@dataclass(frozen=True, slots=True)
class StatementLine:
    rule: str
    basis: Decimal
    rate: Decimal
    amount: Decimal
    explanation: str


@dataclass(frozen=True, slots=True)
class RebateStatementInfo:
    program: str
    distributor: str
    period: str
    currency: str
    volume: Decimal
    orders: int
    rebate: Decimal
    card: str | None
    credited: bool
    lines: tuple[StatementLine, ...]
    status: str  # credited | nothing_due | no_card | replayed


def _dec(text: Decimal | str, field: str) -> Decimal:
    try:
        return Decimal(str(text).strip())
    except InvalidOperation:
        raise ValidationError(f"{text!r} is not a number", field=field) from None


def _months(period: RebatePeriod) -> int:
    return (period.end.year - period.start.year) * 12 + period.end.month - period.start.month


def _name(s: Session, customer_id: int) -> str:
    c = s.get_one(Customer, customer_id)
    return c.external_id or str(c.id)


def _domain(row: LoyaltyRebateScheme, p: LoyaltyProgram) -> RebateScheme:
    return RebateScheme(
        code=f"{p.code}:{row.customer_id}",
        currency=p.currency,
        brackets=tuple(RebateBracket(Decimal(t), Decimal(r)) for t, r in row.brackets),
        mode="marginal" if row.mode == "marginal" else "whole",
        per_unit=Decimal(row.per_unit),
        per_order=Decimal(row.per_order),
    )


def _scheme_info(s: Session, row: LoyaltyRebateScheme, p: LoyaltyProgram) -> RebateSchemeInfo:
    text = ",".join(f"{t}:{r}" for t, r in row.brackets)
    return RebateSchemeInfo(
        p.code, _name(s, row.customer_id), row.kind, text, row.mode,
        Decimal(row.per_unit), Decimal(row.per_order), row.period_kind,
    )  # fmt: skip


def define_rebate_scheme(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    program: str,
    distributor: int | str,
    kind: str = "quantitative",
    brackets: str = "",
    mode: str = "whole",
    per_unit: Decimal | str = "0",
    per_order: Decimal | str = "0",
    period_kind: str = "month",
) -> RebateSchemeInfo:
    """Set (or replace) what a distributor is promised in a program."""
    if kind not in SCHEME_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(SCHEME_KINDS)}", field="kind")
    if period_kind not in PERIOD_KINDS.values():
        raise ValidationError("period kind must be month, quarter or year", field="period_kind")
    parsed = parse_brackets(brackets) if kind == "quantitative" else ()
    unit, order = _dec(per_unit, "per_unit"), _dec(per_order, "per_order")
    if kind == "quantitative" and (unit or order):
        raise ValidationError("a quantitative scheme has brackets, not fixed amounts", field="kind")
    if kind == "fixed" and not (unit or order):
        raise ValidationError("a fixed scheme needs --per-unit or --per-order", field="per_unit")
    with uow:
        s = uow.session
        p = find_program(s, ctx, program)
        who = find_customer(s, tenant_id=ctx.tenant_id, ref=distributor)
        validate_scheme(RebateScheme("new", p.currency, parsed, mode, unit, order))  # type: ignore[arg-type]
        row = s.scalar(
            select(LoyaltyRebateScheme).where(
                LoyaltyRebateScheme.program_id == p.id, LoyaltyRebateScheme.customer_id == who.id
            )
        )
        if row is None:
            row = LoyaltyRebateScheme(
                tenant_id=ctx.tenant_id, program_id=p.id, customer_id=who.id,
                created_at=datetime.now(UTC),
            )  # fmt: skip
            s.add(row)
        row.kind, row.mode, row.period_kind = kind, mode, period_kind
        row.brackets = [[str(b.threshold), str(b.percent)] for b in parsed]
        row.per_unit, row.per_order = str(unit), str(order)
        s.flush()
        return _scheme_info(s, row, p)


def _purchases(
    s: Session, p: LoyaltyProgram, customer_id: int, period: RebatePeriod
) -> list[Purchase]:
    start = datetime.combine(period.start, time(), UTC)
    end = datetime.combine(period.end, time(), UTC)
    qty = (
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .where(OrderLine.order_id == Order.id)
        .scalar_subquery()
    )
    rows = s.execute(
        select(Order.id, Order.external_id, Order.placed_at, Order.total_minor, qty).where(
            Order.tenant_id == p.tenant_id,
            Order.customer_id == customer_id,
            Order.currency == p.currency,
            Order.status.in_([str(x) for x in REVENUE]),
            Order.placed_at >= start,
            Order.placed_at < end,
        )
    ).all()
    digits = minor_units(p.currency)
    return [
        Purchase(ext or str(oid), at.date(), Decimal(total).scaleb(-digits), Decimal(q))
        for oid, ext, at, total, q in rows
    ]


def _lines_json(lines: tuple[StatementLine, ...]) -> list[dict[str, Any]]:
    return [
        {"rule": x.rule, "basis": str(x.basis), "rate": str(x.rate), "amount": str(x.amount),
         "explanation": x.explanation}
        for x in lines
    ]  # fmt: skip


def _stored(
    s: Session, row: LoyaltyRebateStatement, p: LoyaltyProgram, status: str
) -> RebateStatementInfo:
    digits = minor_units(p.currency)
    card = s.get(LoyaltyCard, row.card_id) if row.card_id else None
    lines = tuple(
        StatementLine(
            x["rule"], Decimal(x["basis"]), Decimal(x["rate"]), Decimal(x["amount"]),
            x["explanation"],
        )
        for x in row.lines
    )  # fmt: skip
    return RebateStatementInfo(
        p.code, _name(s, row.customer_id), row.period, p.currency,
        Decimal(row.volume_minor).scaleb(-digits), row.orders,
        Decimal(row.rebate_minor).scaleb(-digits), card.number if card else None,
        row.entry_id is not None, lines, status,
    )  # fmt: skip


def _run_one(
    s: Session, ctx: BusinessContext, p: LoyaltyProgram, row: LoyaltyRebateScheme,
    period: RebatePeriod, now: datetime,
) -> RebateStatementInfo:  # fmt: skip
    done = s.scalar(
        select(LoyaltyRebateStatement).where(
            LoyaltyRebateStatement.scheme_id == row.id,
            LoyaltyRebateStatement.period == period.label,
        )
    )
    if done is not None:
        return _stored(s, done, p, "replayed")
    st = rebate_statement(_domain(row, p), _purchases(s, p, row.customer_id, period), period)
    lines = tuple(StatementLine(x.rule, x.basis, x.rate, x.amount, x.explanation) for x in st.lines)
    card = customer_card(s, p, row.customer_id)
    digits = minor_units(p.currency)
    if st.total > 0 and card is None:
        return RebateStatementInfo(
            p.code, _name(s, row.customer_id), period.label, p.currency, st.volume, st.orders,
            st.total, None, False, lines, "no_card",
        )  # fmt: skip
    entry_id = None
    if st.total > 0 and card is not None:
        value = (st.total / Decimal(p.point_value)).scaleb(p.unit_digits)
        minor = int(value.to_integral_value(rounding=ROUND_DOWN))
        key = f"rebate:{row.id}:{period.label}"
        why = f"rebate {period.label}: " + "; ".join(x.explanation for x in lines)
        credit_bonus(
            s, ctx, p, card_id=card.id, minor=minor, rule=f"rebate:{period.label}",
            reason=why, key=key, at=now,
        )  # fmt: skip
        entry_id = s.scalar(
            select(LoyaltyEntry.id).where(
                LoyaltyEntry.program_id == p.id, LoyaltyEntry.idempotency_key == key
            )
        )
    stored = LoyaltyRebateStatement(
        tenant_id=ctx.tenant_id, scheme_id=row.id, customer_id=row.customer_id,
        period=period.label, volume_minor=int(st.volume.scaleb(digits)), orders=st.orders,
        rebate_minor=int(st.total.scaleb(digits)), lines=_lines_json(lines), entry_id=entry_id,
        card_id=card.id if card and entry_id else None, created_at=now,
    )  # fmt: skip
    s.add(stored)
    s.flush()
    return _stored(s, stored, p, "credited" if entry_id else "nothing_due")


def run_rebates(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    period: str,
    program: str | None = None,
    today: date | None = None,
    at: datetime | None = None,
) -> list[RebateStatementInfo]:
    """Compute and credit every distributor's rebate for a closed period (idempotent)."""
    parsed = parse_period(period)
    day = today or datetime.now(UTC).date()
    if parsed.end > day:
        raise PeriodOpen(f"period {parsed.label} ends on {parsed.end}: run it after that")
    kind = PERIOD_KINDS[_months(parsed)]
    now = at or datetime.now(UTC)

    def work(s: Session) -> list[RebateStatementInfo]:
        chosen = [find_program(s, ctx, program)] if program else programs_of(s, ctx)
        out: list[RebateStatementInfo] = []
        for p in chosen:
            if p.tenant_id != ctx.tenant_id:
                continue
            schemes = s.scalars(
                select(LoyaltyRebateScheme)
                .where(
                    LoyaltyRebateScheme.tenant_id == ctx.tenant_id,
                    LoyaltyRebateScheme.program_id == p.id,
                    LoyaltyRebateScheme.period_kind == kind,
                )
                .order_by(LoyaltyRebateScheme.id)
            ).all()
            out.extend(_run_one(s, ctx, p, row, parsed, now) for row in schemes)
        return out

    return write_once(uow, work, keyed=True)


def show_rebate_statement(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    distributor: int | str,
    period: str,
    program: str | None = None,
) -> RebateStatementInfo:
    """A stored statement of a distributor for a period."""
    label = parse_period(period).label
    with uow:
        s = uow.session
        who = find_customer(s, tenant_id=ctx.tenant_id, ref=distributor)
        q = (
            select(LoyaltyRebateStatement, LoyaltyProgram)
            .join(LoyaltyRebateScheme, LoyaltyRebateScheme.id == LoyaltyRebateStatement.scheme_id)
            .join(LoyaltyProgram, LoyaltyProgram.id == LoyaltyRebateScheme.program_id)
            .where(
                LoyaltyRebateStatement.tenant_id == ctx.tenant_id,
                LoyaltyRebateStatement.customer_id == who.id,
                LoyaltyRebateStatement.period == label,
            )
        )
        if program:
            q = q.where(LoyaltyProgram.code == program)
        found = s.execute(q).first()
        if found is None:
            raise UnknownStatement(f"no rebate statement for {distributor} in {label}")
        return _stored(s, found[0], found[1], "credited" if found[0].entry_id else "nothing_due")
