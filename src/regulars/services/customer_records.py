"""Shared steps of the customer use cases: loading a customer of this business, and writing its
phones, e-mails and tags without duplicates. Helpers only: they never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from regulars.domain.contact_points import normalize_email, normalize_phone
from regulars.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from regulars.domain.names import clean
from regulars.services.context import BusinessContext
from regulars.store.tables import Customer, CustomerTag, Email, Phone

TAG = "tag"
INTEREST = "interest"


def today_for(ctx: BusinessContext) -> date:
    """Today where the business is: birthdays and ages turn over at local midnight."""
    return datetime.now(ZoneInfo(ctx.timezone)).date()


def visible(ctx: BusinessContext, manager_id: int | None, department_id: int | None) -> bool:
    """Whether the acting user may see a customer: a manager sees their own customers and
    their department's; everyone else with access to customers sees them all."""
    if not ctx.limited_to_own:
        return True
    own = ctx.actor_id is not None and manager_id == ctx.actor_id
    return own or (ctx.department_id is not None and department_id == ctx.department_id)


def visible_condition(ctx: BusinessContext) -> ColumnElement[bool] | None:
    """The same rule as a WHERE condition on customers (None: no limit)."""
    if not ctx.limited_to_own:
        return None
    conds = [Customer.manager_id == (ctx.actor_id or -1)]
    if ctx.department_id is not None:
        conds.append(Customer.department_id == ctx.department_id)
    return or_(*conds)


def readable(ctx: BusinessContext, customer_id: int, c: Customer | None) -> Customer:
    """The customer read by id, if the acting user may see it; else NotFound."""
    if c is None or not visible(ctx, c.manager_id, c.department_id):
        raise NotFound(f"no customer {customer_id}")  # another manager's: not even its existence
    return c


def load_customer(
    session: Session, ctx: BusinessContext, customer_id: int, *, writable: bool = False
) -> Customer:
    """The customer with this id in this business; with `writable`, refuse a merged one."""
    c = readable(
        ctx,
        customer_id,
        session.scalar(
            select(Customer).where(Customer.tenant_id == ctx.tenant_id, Customer.id == customer_id)
        ),
    )
    if writable and ctx.limited_to_own and c.manager_id != ctx.actor_id:
        raise Forbidden(
            f"customer {customer_id} is looked after by another manager of your department: "
            "read-only for you"
        )
    if writable and c.status == "erased":
        raise Conflict(f"customer {customer_id} was erased: nothing can be added to it")
    if writable and c.status == "merged":
        raise Conflict(
            f"customer {customer_id} was merged into customer {c.merged_into_id}: "
            f"use {c.merged_into_id} instead"
        )
    return c


def parse_phones(numbers: Iterable[str], region: str) -> list[str]:
    """E.164 of every number, in order, without repeats; the first bad one is refused."""
    out: list[str] = []
    for n in numbers:
        e164 = normalize_phone(n, region)
        if e164 not in out:
            out.append(e164)
    return out


def parse_emails(addresses: Iterable[str]) -> list[str]:
    out: list[str] = []
    for a in addresses:
        addr = normalize_email(a)
        if addr not in out:
            out.append(addr)
    return out


def parse_tags(values: Iterable[str], what: str) -> list[str]:
    """Tags compare case-insensitively, so they are kept in lower case ('VIP' is 'vip')."""
    out: list[str] = []
    for v in values:
        t = clean(v)
        if not t:
            continue
        t = t.lower()
        if len(t) > 100:
            raise ValidationError(f"{what} {t[:20]!r}… is longer than 100 characters", field=what)
        if t not in out:
            out.append(t)
    return out


def _add_points(
    session: Session,
    ctx: BusinessContext,
    model: type[Phone] | type[Email],
    value_column: str,
    customer_id: int,
    values: Sequence[str],
    contact_id: int | None,
) -> int:
    """Attach values the customer (or contact) lacks; the first is primary if none is yet."""
    value = getattr(model, value_column)
    existing = session.execute(
        select(value, model.is_primary).where(
            model.tenant_id == ctx.tenant_id,
            model.customer_id == customer_id,
            model.contact_id.is_(None) if contact_id is None else model.contact_id == contact_id,
        )
    ).all()
    have = {v for v, _ in existing}
    need_primary = not any(p for _, p in existing)
    added = 0
    for v in values:
        if v in have:
            continue
        session.add(
            model(
                tenant_id=ctx.tenant_id,
                customer_id=customer_id,
                contact_id=contact_id,
                is_primary=need_primary,
                **{value_column: v},
            )
        )
        have.add(v)
        need_primary = False
        added += 1
    return added


def add_phones(
    session: Session,
    ctx: BusinessContext,
    customer_id: int,
    e164s: Sequence[str],
    *,
    contact_id: int | None = None,
) -> int:
    return _add_points(session, ctx, Phone, "e164", customer_id, e164s, contact_id)


def add_emails(
    session: Session,
    ctx: BusinessContext,
    customer_id: int,
    addresses: Sequence[str],
    *,
    contact_id: int | None = None,
) -> int:
    return _add_points(session, ctx, Email, "address", customer_id, addresses, contact_id)


def add_tags(
    session: Session, ctx: BusinessContext, customer_id: int, kind: str, values: Sequence[str]
) -> None:
    have = set(
        session.scalars(
            select(CustomerTag.value).where(
                CustomerTag.tenant_id == ctx.tenant_id,
                CustomerTag.customer_id == customer_id,
                CustomerTag.kind == kind,
            )
        )
    )
    for v in values:
        if v not in have:
            session.add(
                CustomerTag(tenant_id=ctx.tenant_id, customer_id=customer_id, kind=kind, value=v)
            )
            have.add(v)
