"""The whole customer base as CSV rows: the most sensitive thing the system can hand out.

Only an owner may take it (the API checks `customers.bulk_export`; the CLI is the operator),
and every export is in the audit log with how many customers left and why — written before
the first row, so even an export cut short is on record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import func, select

from regulars.domain.access import Permission, allowed
from regulars.domain.errors import Forbidden, ValidationError
from regulars.services.audit import record_event
from regulars.services.context import BusinessContext
from regulars.services.customer_records import INTEREST, TAG
from regulars.store.tables import Customer, CustomerTag, Department, Email, Phone, StaffUser
from regulars.store.uow import UnitOfWork

COLUMNS = (
    "id",
    "external_id",
    "kind",
    "display_name",
    "family_name",
    "given_name",
    "legal_name",
    "language",
    "birthday",
    "founded_on",
    "first_deal_on",
    "phones",
    "emails",
    "manager",
    "department",
    "tags",
    "interests",
    "potential",
    "region",
    "created_at",
)
BATCH = 2_000


def _check(ctx: BusinessContext, reason: str) -> str:
    if ctx.role is not None and not allowed(ctx.role, Permission.CUSTOMERS_BULK_EXPORT):
        raise Forbidden("only an owner may export the customer base")
    why = (reason or "").strip()
    if not why:
        raise ValidationError("say why the customer base is exported", field="reason")
    return why[:500]


def export_customers(uow: UnitOfWork, *, ctx: BusinessContext, reason: str) -> Iterator[list[str]]:
    """Check the right and record the export now; then the header and one row per active
    customer (oldest first), read in batches so a million customers stream in flat memory."""
    why = _check(ctx, reason)
    t = ctx.tenant_id
    with uow:
        s = uow.session
        count = s.scalar(
            select(func.count()).where(Customer.tenant_id == t, Customer.status == "active")
        )
        record_event(
            s,
            ctx,
            action="customers.bulk_export",
            target_kind="business",
            target_id=t,
            detail={"customers": int(count or 0), "reason": why},
        )
    return _rows(uow, t)


def _rows(uow: UnitOfWork, t: int) -> Iterator[list[str]]:
    yield list(COLUMNS)
    after = 0
    while True:
        with uow:
            s = uow.session
            batch = s.scalars(
                select(Customer)
                .where(Customer.tenant_id == t, Customer.status == "active", Customer.id > after)
                .order_by(Customer.id)
                .limit(BATCH)
            ).all()
            if not batch:
                return
            ids = [c.id for c in batch]
            phones: dict[int, list[str]] = defaultdict(list)
            for cid, e164 in s.execute(
                select(Phone.customer_id, Phone.e164)
                .where(Phone.tenant_id == t, Phone.customer_id.in_(ids), Phone.contact_id.is_(None))
                .order_by(Phone.is_primary.desc(), Phone.id)
            ):
                phones[cid].append(e164)
            emails: dict[int, list[str]] = defaultdict(list)
            for cid, address in s.execute(
                select(Email.customer_id, Email.address)
                .where(Email.tenant_id == t, Email.customer_id.in_(ids), Email.contact_id.is_(None))
                .order_by(Email.is_primary.desc(), Email.id)
            ):
                emails[cid].append(address)
            tags: dict[tuple[int, str], list[str]] = defaultdict(list)
            for cid, kind, value in s.execute(
                select(CustomerTag.customer_id, CustomerTag.kind, CustomerTag.value)
                .where(CustomerTag.tenant_id == t, CustomerTag.customer_id.in_(ids))
                .order_by(CustomerTag.value)
            ):
                tags[(cid, kind)].append(value)
            managers = {
                k: v
                for k, v in s.execute(
                    select(StaffUser.id, StaffUser.email).where(StaffUser.tenant_id == t)
                )
            }
            departments = {
                k: v
                for k, v in s.execute(
                    select(Department.id, Department.name).where(Department.tenant_id == t)
                )
            }
            rows = [
                [
                    str(c.id),
                    c.external_id or "",
                    c.kind,
                    c.display_name,
                    c.family_name or "",
                    c.given_name or "",
                    c.legal_name or "",
                    c.language or "",
                    c.birthday.isoformat() if c.birthday else "",
                    c.founded_on.isoformat() if c.founded_on else "",
                    c.first_deal_on.isoformat() if c.first_deal_on else "",
                    ";".join(phones.get(c.id, [])),
                    ";".join(emails.get(c.id, [])),
                    managers.get(c.manager_id, "") if c.manager_id else "",
                    departments.get(c.department_id, "") if c.department_id else "",
                    ";".join(tags.get((c.id, TAG), [])),
                    ";".join(tags.get((c.id, INTEREST), [])),
                    c.potential or "",
                    c.region or "",
                    c.created_at.isoformat(),
                ]
                for c in batch
            ]
        after = ids[-1]
        yield from rows
