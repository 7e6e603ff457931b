"""Finding customers again: by id or external id, by filters, and by whatever a cashier types
into a search box — a name fragment, a phone in any format, an e-mail, the old system's id.

Merged customers never show up here: their records now belong to the survivor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select

from regulars.domain.contact_points import normalize_email, phone_search_key
from regulars.domain.customers import CustomerKind, Potential
from regulars.domain.errors import NotFound, ValidationError
from regulars.domain.names import clean, fold, name_key, primary_language
from regulars.services.audit import record_event
from regulars.services.context import BusinessContext
from regulars.services.customer_records import readable, visible, visible_condition
from regulars.services.customer_views import CustomerSummary, Dossier, build_dossier, summarize
from regulars.services.dossier_rows import customer_and_rows
from regulars.services.staff import staff_id_by_email
from regulars.store.tables import Customer, CustomerTag, Department, Email, Phone
from regulars.store.uow import UnitOfWork

ACTIVE = "active"
_DIGITS = re.compile(r"^[+\d\s().\-/]+$")


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A customer found, and what matched: external_id, phone, email or name."""

    customer: CustomerSummary
    matched: str


def resolve_customer(uow: UnitOfWork, *, ctx: BusinessContext, ref: str) -> int:
    """The id meant by `ref`: an id (`123`), else an external id (`ext:123` forces external)."""
    text = (ref or "").strip()
    if not text:
        raise ValidationError("which customer? give an id or an external id", field="customer")
    with uow:
        s = uow.session
        t = ctx.tenant_id
        # ASCII digits only ("¹".isdigit() is true) and within a 64-bit id
        if not text.startswith("ext:") and text.isascii() and text.isdigit() and len(text) < 19:
            found = s.scalar(
                select(Customer.id).where(Customer.tenant_id == t, Customer.id == int(text))
            )
            if found is not None:
                return found
        ext = text.removeprefix("ext:")
        found = s.scalar(
            select(Customer.id).where(Customer.tenant_id == t, Customer.external_id == ext)
        )
        if found is None:
            raise NotFound(f"no customer with id or external id {ext!r}")
        return found


def show_customer(uow: UnitOfWork, *, ctx: BusinessContext, customer_id: int) -> Dossier:
    """The whole dossier; for a merged customer, a stub whose merged_into_id says where it went."""
    with uow:
        s = uow.session
        found, rows = customer_and_rows(s, ctx.tenant_id, customer_id)  # one statement on PG
        dossier = build_dossier(s, ctx, readable(ctx, customer_id, found), rows)
        record_event(
            uow.session, ctx, action="customer.view", target_kind="customer", target_id=customer_id
        )
        return dossier


def list_customers(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    kind: CustomerKind | str | None = None,
    manager_email: str | None = None,
    department: str | None = None,
    tag: str | None = None,
    language: str | None = None,
    potential: Potential | str | None = None,
    region: str | None = None,
    limit: int = 50,
    offset: int = 0,
    after_id: int | None = None,
) -> list[CustomerSummary]:
    """Customers matching every filter given, oldest first (stable across pages); `after_id`
    continues after the last customer of the previous page (a cursor that stays right while
    customers are added)."""
    if limit < 1 or offset < 0:
        raise ValidationError("limit must be at least 1 and offset at least 0", field="limit")
    with uow:
        s = uow.session
        t = ctx.tenant_id
        conds: list[ColumnElement[bool]] = [Customer.tenant_id == t, Customer.status == ACTIVE]
        if after_id is not None:
            conds.append(Customer.id > after_id)
        if (mine := visible_condition(ctx)) is not None:
            conds.append(mine)
        if kind:
            try:
                conds.append(Customer.kind == CustomerKind(kind.lower()).value)
            except ValueError:
                raise ValidationError(f"unknown kind {kind!r}: use person or company") from None
        if manager_email:
            conds.append(Customer.manager_id == staff_id_by_email(s, ctx, manager_email))
        if department:
            dep = s.scalar(
                select(Department.id).where(
                    Department.tenant_id == t, Department.name == clean(department)
                )
            )
            if dep is None:
                raise NotFound(f"no department {department!r}", field="department")
            conds.append(Customer.department_id == dep)
        if tag:
            conds.append(
                select(CustomerTag.customer_id)
                .where(
                    CustomerTag.tenant_id == t,
                    CustomerTag.customer_id == Customer.id,
                    CustomerTag.value == (clean(tag) or "").lower(),
                )
                .exists()
            )
        if language:
            lang = primary_language(language)
            conds.append(or_(Customer.language == lang, Customer.language.like(f"{lang}-%")))
        if potential:
            conds.append(Customer.potential == str(potential).lower())
        if region:
            # Case-insensitive in Python: SQLite's lower() knows only ASCII ("HÀ NỘI").
            wanted = (clean(region) or "").casefold()
            regions = s.scalars(
                select(Customer.region).where(Customer.tenant_id == t).distinct()
            ).all()
            conds.append(Customer.region.in_([r for r in regions if r and r.casefold() == wanted]))
        rows = s.scalars(
            select(Customer).where(and_(*conds)).order_by(Customer.id).limit(limit).offset(offset)
        ).all()
        return summarize(s, ctx, rows)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_customers(
    uow: UnitOfWork, *, ctx: BusinessContext, query: str, limit: int = 20
) -> list[SearchHit]:
    """Best matches first: external id, then phone, then e-mail, then name.

    A phone typed any way (`0912 345 678`, `+84912345678`) is matched by its E.164 form; five or
    more digits that are not a whole number match the end of stored numbers.
    """
    q = (query or "").strip()
    if not q:
        raise ValidationError("the search text is empty", field="query")
    t = ctx.tenant_id
    found: dict[int, str] = {}
    with uow:
        s = uow.session

        def take(ids: list[int], how: str) -> None:
            for i in ids:
                found.setdefault(i, how)

        take(
            list(
                s.scalars(
                    select(Customer.id).where(
                        Customer.tenant_id == t, Customer.external_id == q.removeprefix("ext:")
                    )
                )
            ),
            "external_id",
        )
        if _DIGITS.match(q):
            e164 = phone_search_key(q, ctx.default_region)
            digits = re.sub(r"\D", "", q)
            if e164 is not None:
                cond = Phone.e164 == e164
            elif len(digits) >= 5:
                cond = Phone.e164.like(f"%{digits}")
            else:
                cond = None
            if cond is not None:
                take(
                    list(
                        s.scalars(
                            select(Phone.customer_id)
                            .where(Phone.tenant_id == t, cond)
                            .order_by(Phone.customer_id)
                            .limit(limit)
                        )
                    ),
                    "phone",
                )
        if "@" in q:
            try:
                cond_e = Email.address == normalize_email(q)
            except ValidationError:
                cond_e = Email.address.like(f"%{_like_escape(q.lower())}%", escape="\\")
            take(
                list(
                    s.scalars(
                        select(Email.customer_id)
                        .where(Email.tenant_id == t, cond_e)
                        .order_by(Email.customer_id)
                        .limit(limit)
                    )
                ),
                "email",
            )
        tokens = name_key(q, company=True).split() or fold(q).split()
        if tokens and len(found) < limit:
            conds = [
                Customer.name_key.like(f"%{_like_escape(tok)}%", escape="\\") for tok in tokens
            ]
            exact = name_key(q)
            rows = s.execute(
                select(Customer.id)
                .where(Customer.tenant_id == t, Customer.status == ACTIVE, *conds)
                .order_by((Customer.name_key != exact), func.length(Customer.name_key), Customer.id)
                .limit(limit)
            ).scalars()
            take(list(rows), "name")
        if not found:
            return []
        # A merged customer's old external id leads to the survivor.
        customers = {
            c.id: c
            for c in s.scalars(
                select(Customer).where(Customer.tenant_id == t, Customer.id.in_(found))
            )
        }
        order: list[int] = []
        matched: dict[int, str] = {}
        for cid, how in found.items():
            c = customers[cid]
            target = c.merged_into_id if c.status != ACTIVE and c.merged_into_id else cid
            if target not in matched:
                matched[target] = how
                order.append(target)
        order = order[:limit]
        if survivors := [i for i in order if i not in customers]:  # read only what is missing
            customers.update(
                (c.id, c)
                for c in s.scalars(
                    select(Customer).where(Customer.tenant_id == t, Customer.id.in_(survivors))
                )
            )
        rows_by_id = {
            i: hit
            for i in order
            if (hit := customers.get(i)) is not None
            and hit.status == ACTIVE
            and visible(ctx, hit.manager_id, hit.department_id)
        }
        kept = [rows_by_id[i] for i in order if i in rows_by_id]
        return [SearchHit(summary, matched[summary.id]) for summary in summarize(s, ctx, kept)]
