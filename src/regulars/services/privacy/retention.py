"""Retention: customers with no activity for N years are erased (storage limitation).

Activity is anything that shows the relationship is alive: the customer was added or edited, an
order was placed or moved on, a loyalty entry touched one of their cards, a note was written or
consent recorded. The last of these is the customer's last activity; older than the cutoff
(now minus N years) means inactive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, exists, func, select, union_all
from sqlalchemy.orm import Session

from regulars.domain.errors import ValidationError
from regulars.services.audit import record_event
from regulars.services.context import BusinessContext
from regulars.services.privacy.erasure import audit_detail, card_owners, erase_in
from regulars.store.loyalty_tables import LoyaltyCard, LoyaltyEntry
from regulars.store.tables import Consent, Customer, Note, Order
from regulars.store.types import UTCDateTime
from regulars.store.uow import UnitOfWork

BATCH = 200  # customers erased per transaction: short write locks on a busy till


@dataclass(frozen=True, slots=True)
class InactiveCustomer:
    customer_id: int
    last_activity: datetime
    erased: bool  # False on a dry run


def retention_cutoff(years: int, now: datetime | None = None) -> datetime:
    """`now` minus `years` calendar years (29 February becomes 28 February)."""
    if years < 1:
        raise ValidationError("the retention period must be at least 1 year", field="years")
    now = now or datetime.now(UTC)
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def _inactive(t: int, owners: list[int], cutoff: datetime) -> list[ColumnElement[bool]]:
    """Conditions on Customer: nothing happened on or after the cutoff."""
    return [
        Customer.tenant_id == t,
        Customer.status == "active",
        Customer.created_at < cutoff,
        Customer.updated_at < cutoff,
        ~exists().where(
            Order.tenant_id == t,
            Order.customer_id == Customer.id,
            (Order.placed_at >= cutoff) | (Order.status_changed_at >= cutoff),
        ),
        ~exists().where(
            Note.tenant_id == t, Note.customer_id == Customer.id, Note.created_at >= cutoff
        ),
        ~exists().where(
            Consent.tenant_id == t,
            Consent.customer_id == Customer.id,
            Consent.recorded_at >= cutoff,
        ),
        ~exists().where(
            LoyaltyCard.tenant_id.in_(owners),
            LoyaltyCard.customer_id == Customer.id,
            LoyaltyEntry.card_id == LoyaltyCard.id,
            LoyaltyEntry.at >= cutoff,
        ),
    ]


def _last_activity(s: Session, t: int, ids: Sequence[int]) -> dict[int, datetime]:
    """The latest activity of each customer (all of them older than the cutoff here)."""
    parts = union_all(
        select(Customer.id.label("cid"), Customer.updated_at.label("at")).where(
            Customer.tenant_id == t, Customer.id.in_(ids)
        ),
        select(Order.customer_id, func.max(Order.status_changed_at))
        .where(Order.tenant_id == t, Order.customer_id.in_(ids))
        .group_by(Order.customer_id),
        select(Order.customer_id, func.max(Order.placed_at))
        .where(Order.tenant_id == t, Order.customer_id.in_(ids))
        .group_by(Order.customer_id),
        select(Note.customer_id, func.max(Note.created_at))
        .where(Note.tenant_id == t, Note.customer_id.in_(ids))
        .group_by(Note.customer_id),
        select(Consent.customer_id, func.max(Consent.recorded_at))
        .where(Consent.tenant_id == t, Consent.customer_id.in_(ids))
        .group_by(Consent.customer_id),
        select(LoyaltyCard.customer_id, func.max(LoyaltyEntry.at))
        .join(LoyaltyEntry, LoyaltyEntry.card_id == LoyaltyCard.id)
        .where(LoyaltyCard.tenant_id.in_(card_owners(s, t)), LoyaltyCard.customer_id.in_(ids))
        .group_by(LoyaltyCard.customer_id),
    ).subquery()
    # Aggregates lose the column type on SQLite; read them back through it.
    at = func.max(parts.c.at, type_=UTCDateTime)
    rows = s.execute(select(parts.c.cid, at).group_by(parts.c.cid)).all()
    return {int(cid): _aware(when) for cid, when in rows}


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def erase_inactive(
    uow: UnitOfWork,
    ctx: BusinessContext,
    years: int,
    dry_run: bool = False,
    *,
    now: datetime | None = None,
) -> list[InactiveCustomer]:
    """Erase (or with `dry_run` only list) the active customers inactive for `years` years.

    Each batch re-selects the inactive customers inside its own transaction, so a customer who
    bought something since the list was made is kept. Every erasure is audited.
    """
    cutoff = retention_cutoff(years, now)
    t = ctx.tenant_id
    reason = f"retention: no activity for {years} years (since {cutoff:%Y-%m-%d})"
    out: list[InactiveCustomer] = []
    after = 0
    while True:
        unit = uow if dry_run else uow.locking()
        with unit:
            s = unit.session
            ids = list(
                s.scalars(
                    select(Customer.id)
                    .where(*_inactive(t, card_owners(s, t), cutoff), Customer.id > after)
                    .order_by(Customer.id)
                    .limit(BATCH)
                )
            )
            if not ids:
                return out
            last = _last_activity(s, t, ids)
            for cid in ids:
                if not dry_run:
                    result = erase_in(s, ctx, cid, reason)
                    record_event(
                        s,
                        ctx,
                        action="customer.erase",
                        target_kind="customer",
                        target_id=cid,
                        detail={**audit_detail(result, reason), "retention_years": years},
                    )
                out.append(InactiveCustomer(cid, last[cid], not dry_run))
            after = ids[-1]
