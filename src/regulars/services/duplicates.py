"""Finding customers entered twice, and merging them so their history is one again.

Shared phones and e-mails are found by the database (a self-join on indexed columns); similar
names by the blocking index in `domain.duplicates`. A merge moves everything to the survivor in
one transaction and writes down what moved and which values won, so it can be explained later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session, aliased

from regulars.domain.duplicates import (
    MERGE_FIELDS,
    WEIGHTS,
    Reason,
    ReasonKind,
    find_similar_names,
    plan_merge,
    rank_candidates,
)
from regulars.domain.errors import MergeRefused, NotFound
from regulars.services.audit import record_event
from regulars.services.context import BusinessContext
from regulars.services.merge_moves import move_records
from regulars.services.orders import refresh_first_deal_on
from regulars.store.tables import Customer, CustomerMerge, Email, Phone
from regulars.store.uow import UnitOfWork

# A phone or e-mail on more customers than this is a placeholder (the shop's own number, a
# "no-email@" address), not a sign of one customer entered twice.
MAX_SHARED = 10


@dataclass(frozen=True, slots=True)
class CustomerBrief:
    id: int
    display_name: str
    external_id: str | None


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    a: CustomerBrief
    b: CustomerBrief
    score: float
    reasons: list[Reason]


@dataclass(frozen=True, slots=True)
class MergeReport:
    survivor_id: int
    merged_id: int
    merge_id: int | None  # None for a dry run
    dry_run: bool
    moved: dict[str, int]
    dropped_duplicates: dict[str, list[str]]
    fields: dict[str, Any]  # kept / filled / conflicts


def _shared_contact_pairs(
    session: Session, ctx: BusinessContext, column: Any, owner: Any, kind: ReasonKind
) -> list[tuple[int, int, Reason]]:
    """Pairs of active customers of the same kind sharing a value of `column` (phone, e-mail)."""
    t = ctx.tenant_id
    table = owner.__table__
    x, y = table.alias("x"), table.alias("y")
    cx, cy = aliased(Customer), aliased(Customer)
    value = column.key
    own_level = owner.contact_id.is_(None)
    shared = (
        select(column)
        .join(Customer, Customer.id == owner.customer_id)
        .where(owner.tenant_id == t, own_level, Customer.status == "active")
        .group_by(column)
        .having(func.count(owner.customer_id.distinct()).between(2, MAX_SHARED))
        .subquery()
    )
    rows = session.execute(
        select(x.c.customer_id, y.c.customer_id, x.c[value])
        .join(shared, shared.c[value] == x.c[value])
        .join(
            y,
            and_(
                y.c.tenant_id == t,
                y.c[value] == x.c[value],
                y.c.customer_id > x.c.customer_id,
                y.c.contact_id.is_(None),
            ),
        )
        .join(cx, cx.id == x.c.customer_id)
        .join(cy, cy.id == y.c.customer_id)
        .where(
            x.c.tenant_id == t,
            x.c.contact_id.is_(None),
            cx.status == "active",
            cy.status == "active",
            cx.kind == cy.kind,
        )
        .distinct()
    ).all()
    return [(a, b, Reason(kind, v, WEIGHTS[kind])) for a, b, v in rows]


def find_duplicates(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    limit: int = 100,
    min_score: float = 0.0,
    max_name_group: int = 25,
) -> list[DuplicatePair]:
    """Likely duplicates among active customers, most likely first, each with its reasons."""
    with uow:
        s = uow.session
        t = ctx.tenant_id
        contact_pairs = _shared_contact_pairs(s, ctx, Phone.e164, Phone, ReasonKind.SAME_PHONE)
        contact_pairs += _shared_contact_pairs(s, ctx, Email.address, Email, ReasonKind.SAME_EMAIL)
        entries = [
            (cid, kind, key)
            for cid, kind, key in s.execute(
                select(Customer.id, Customer.kind, Customer.name_key).where(
                    Customer.tenant_id == t, Customer.status == "active"
                )
            )
        ]
        keys = {cid: key for cid, _, key in entries}
        names = find_similar_names(entries, max_group=max_name_group)
        ranked = rank_candidates(contact_pairs, names, keys, limit=limit, min_score=min_score)
        ids = {i for c in ranked for i in (c.a, c.b)}
        briefs = {
            cid: CustomerBrief(cid, name, ext)
            for cid, name, ext in s.execute(
                select(Customer.id, Customer.display_name, Customer.external_id).where(
                    Customer.tenant_id == t, Customer.id.in_(ids)
                )
            )
        }
        return [DuplicatePair(briefs[c.a], briefs[c.b], c.score, list(c.reasons)) for c in ranked]


class _DryRun(Exception):
    """Raised inside the unit of work so a dry run rolls everything back."""

    def __init__(self, report: MergeReport) -> None:
        super().__init__("dry run")
        self.report = report


def merge_customers(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    survivor_id: int,
    merged_id: int,
    reason: str | None = None,
    dry_run: bool = False,
) -> MergeReport:
    """Fold `merged_id` into `survivor_id`: orders, notes, contacts, phones, e-mails, addresses,
    tags and consents move; the survivor keeps its values and fills its blanks; the merged
    customer stays as a pointer to the survivor, so old ids and external ids still lead there.
    """
    if survivor_id == merged_id:
        raise MergeRefused(f"customer {survivor_id} cannot be merged with itself")
    try:
        with uow:
            report = _merge(uow.session, ctx, survivor_id, merged_id, reason, dry_run)
            if dry_run:
                raise _DryRun(report)
            record_event(
                uow.session,
                ctx,
                action="customer.merge",
                target_kind="customer",
                target_id=survivor_id,
                detail={"merged": merged_id},
            )
            return report
    except _DryRun as done:
        return done.report


def _merge(
    s: Session,
    ctx: BusinessContext,
    survivor_id: int,
    merged_id: int,
    reason: str | None,
    dry_run: bool,
) -> MergeReport:
    t = ctx.tenant_id
    locked = {
        c.id: c
        for c in s.scalars(
            select(Customer)
            .where(Customer.tenant_id == t, Customer.id.in_((survivor_id, merged_id)))
            .order_by(Customer.id)
            .with_for_update()
        )
    }
    for cid in (survivor_id, merged_id):
        if cid not in locked:
            raise NotFound(f"no customer {cid}")
    keep, gone = locked[survivor_id], locked[merged_id]
    for c in (keep, gone):
        if c.status != "active":
            raise MergeRefused(
                f"customer {c.id} was already merged into customer {c.merged_into_id}"
            )
    if keep.kind != gone.kind:
        raise MergeRefused(
            f"customer {keep.id} is a {keep.kind} and customer {gone.id} is a {gone.kind}: "
            "only customers of the same kind can be merged"
        )
    fields = (*MERGE_FIELDS, "first_deal_overridden")
    plan = plan_merge({f: getattr(keep, f) for f in fields}, {f: getattr(gone, f) for f in fields})
    moved, dropped = move_records(s, ctx, survivor_id, merged_id)
    for name, value in plan.values.items():
        setattr(keep, name, value)
    s.flush()
    # The orders moved: a derived first deal is the survivor's earliest order now.
    refresh_first_deal_on(s, tenant_id=t, customer=keep, timezone=ctx.timezone)
    now = datetime.now(UTC)
    keep.updated_at = now
    gone.status, gone.merged_into_id, gone.updated_at = "merged", survivor_id, now
    # Customers merged into the merged one earlier now point straight at the survivor.
    s.execute(
        update(Customer)
        .where(Customer.tenant_id == t, Customer.merged_into_id == merged_id)
        .values(merged_into_id=survivor_id)
        .execution_options(synchronize_session=False)
    )
    explained = plan.explain()
    details = {
        "moved": moved,
        "dropped_duplicates": dropped,
        "fields": explained,
        "merged": {
            "display_name": gone.display_name,
            "external_id": gone.external_id,
            "name_key": gone.name_key,
        },
    }
    merge_id = None
    if not dry_run:
        record = CustomerMerge(
            tenant_id=t,
            survivor_id=survivor_id,
            merged_id=merged_id,
            merged_at=now,
            merged_by=ctx.actor_id,
            reason=(reason or "").strip() or None,
            details=details,
        )
        s.add(record)
        s.flush()
        merge_id = record.id
    return MergeReport(survivor_id, merged_id, merge_id, dry_run, moved, dropped, explained)
