"""The rows a customer's dossier is built from: on PostgreSQL in one statement (each list as a
JSON array, so a page view is one round trip instead of a dozen), elsewhere one query per table
(in-process SQLite pays no round trips). Both return the same plain tuples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from regulars.domain.orders import OrderStatus
from regulars.store.tables import (
    Address,
    Consent,
    Contact,
    Customer,
    CustomerMerge,
    CustomerTag,
    Department,
    Email,
    Note,
    Order,
    Phone,
    StaffUser,
)
from regulars.store.types import UTCDateTime

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class DossierRows:
    """Each list in the dossier's order; times are aware UTC, dates are dates."""

    manager: tuple[str, str] | None  # e-mail, name
    department: str | None
    tags: list[Row]  # kind, value
    phones: list[Row]  # e164, label, is_primary, contact_id
    emails: list[Row]  # address, label, is_primary, contact_id
    addresses: list[Row]  # id, label, line1, line2, city, region, postal_code, country
    notes: list[Row]  # id, created_at, author e-mail, body, kind
    contacts: list[Row]  # id, display_name … birthday, language (see _CONTACT)
    consents: list[Row]  # id, channel, purpose, granted, source, recorded_at, contact_id
    merges: list[Row]  # id, survivor_id, merged_id, merged_at, reason, details
    orders: tuple[int, datetime | None, datetime | None]  # count, first, last (not cancelled)


_CONTACT = (
    Contact.id,
    Contact.display_name,
    Contact.family_name,
    Contact.given_name,
    Contact.patronymic,
    Contact.level,
    Contact.job_title,
    Contact.department,
    Contact.buying_role,
    Contact.stance,
    Contact.birthday,
    Contact.language,
)
_ADDRESS = (
    Address.id,
    Address.label,
    Address.line1,
    Address.line2,
    Address.city,
    Address.region,
    Address.postal_code,
    Address.country,
)
_CONSENT = (
    Consent.id,
    Consent.channel,
    Consent.purpose,
    Consent.granted,
    Consent.source,
    Consent.recorded_at,
    Consent.contact_id,
)
_MERGE = (
    CustomerMerge.id,
    CustomerMerge.survivor_id,
    CustomerMerge.merged_id,
    CustomerMerge.merged_at,
    CustomerMerge.reason,
    CustomerMerge.details,
)


T: BindParameter[int] = bindparam("tenant_id")
C: BindParameter[int] = bindparam("customer_id")


def _lists(C: Any) -> dict[str, tuple[Select[Any], tuple[Any, ...]]]:
    """Per list: its columns and filter, and its order; shared by both paths. `C` is the
    customer's id: a parameter, or the customers row of an enclosing query."""
    merged = or_(CustomerMerge.survivor_id == C, CustomerMerge.merged_id == C)
    return {
        "tags": (
            select(CustomerTag.kind, CustomerTag.value).where(
                CustomerTag.tenant_id == T, CustomerTag.customer_id == C
            ),
            (CustomerTag.value,),
        ),
        "phones": (
            select(Phone.e164, Phone.label, Phone.is_primary, Phone.contact_id).where(
                Phone.tenant_id == T, Phone.customer_id == C
            ),
            (Phone.is_primary.desc(), Phone.id),
        ),
        "emails": (
            select(Email.address, Email.label, Email.is_primary, Email.contact_id).where(
                Email.tenant_id == T, Email.customer_id == C
            ),
            (Email.is_primary.desc(), Email.id),
        ),
        "addresses": (
            select(*_ADDRESS).where(Address.tenant_id == T, Address.customer_id == C),
            (Address.id,),
        ),
        "notes": (
            select(Note.id, Note.created_at, StaffUser.email, Note.body, Note.kind)
            .outerjoin(StaffUser, StaffUser.id == Note.author_id)
            .where(Note.tenant_id == T, Note.customer_id == C),
            (Note.created_at, Note.id),
        ),
        "contacts": (
            select(*_CONTACT).where(Contact.tenant_id == T, Contact.customer_id == C),
            (Contact.id,),
        ),
        "consents": (
            select(*_CONSENT).where(Consent.tenant_id == T, Consent.customer_id == C),
            (Consent.recorded_at, Consent.id),
        ),
        "merges": (
            select(*_MERGE).where(CustomerMerge.tenant_id == T, merged),
            (CustomerMerge.merged_at, CustomerMerge.id),
        ),
    }


_LISTS = _lists(C)
_ORDERED = {name: q.order_by(*order) for name, (q, order) in _LISTS.items()}


def manager_and_department(
    session: Session, tenant_id: int, c: Customer
) -> tuple[tuple[str, str] | None, str | None]:
    """The customer's responsible manager (e-mail, name) and department name, or None each."""
    manager = None
    if c.manager_id:
        row = session.execute(
            select(StaffUser.email, StaffUser.display_name).where(
                StaffUser.tenant_id == tenant_id, StaffUser.id == c.manager_id
            )
        ).first()
        manager = (row[0], row[1]) if row else None
    department = (
        session.scalar(
            select(Department.name).where(
                Department.tenant_id == tenant_id, Department.id == c.department_id
            )
        )
        if c.department_id
        else None
    )
    return manager, department


def _order_stats(C: Any) -> Select[int, datetime, datetime]:
    return select(func.count(), func.min(Order.placed_at), func.max(Order.placed_at)).where(
        Order.tenant_id == T, Order.customer_id == C, Order.status != OrderStatus.CANCELLED.value
    )


_ORDER_STATS = _order_stats(C)


def dossier_rows(session: Session, tenant_id: int, c: Customer) -> DossierRows:
    """Everything a dossier shows besides the customer row itself."""
    if session.get_bind().dialect.name == "postgresql":
        return _rows_pg(session, tenant_id, c)
    manager, department = manager_and_department(session, tenant_id, c)
    keys = {"tenant_id": tenant_id, "customer_id": c.id}
    got = {name: [tuple(r) for r in session.execute(q, keys)] for name, q in _ORDERED.items()}
    count, first, last = session.execute(_ORDER_STATS, keys).one()
    return DossierRows(
        manager=manager,
        department=department,
        orders=(int(count or 0), _aware(first), _aware(last)),
        **got,
    )


def _aware(value: datetime | str | None) -> datetime | None:
    """Aggregates bypass the column type on SQLite, so min/max may come back naive or as text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- PostgreSQL: one statement, each list a JSON array ------------------------------------------


def _json_value(column: Any) -> Any:
    """Times go out as UTC without an offset, whatever the session's time zone."""
    return func.timezone("UTC", column) if isinstance(column.type, UTCDateTime) else column


def _pg_columns(customer: Any, manager_id: Any, department_id: Any) -> list[Any]:
    columns: list[Any] = []
    for name, (q, order) in _lists(customer).items():
        row = func.json_build_array(*(_json_value(col) for col in q.selected_columns))
        agg = func.json_agg(aggregate_order_by(row, *order))
        columns.append(q.with_only_columns(agg).scalar_subquery().label(name))
    stats = func.json_build_array(
        func.count(),
        func.timezone("UTC", func.min(Order.placed_at)),
        func.timezone("UTC", func.max(Order.placed_at)),
    )
    orders = _order_stats(customer).with_only_columns(stats)
    manager = select(func.json_build_array(StaffUser.email, StaffUser.display_name)).where(
        StaffUser.tenant_id == T, StaffUser.id == manager_id
    )
    department = select(Department.name).where(
        Department.tenant_id == T, Department.id == department_id
    )
    columns.append(orders.scalar_subquery().label("orders"))
    columns.append(manager.scalar_subquery().label("manager"))
    columns.append(department.scalar_subquery().label("department"))
    return columns


# The lists of a customer already loaded, and a customer with its lists (correlated).
_PG = select(*_pg_columns(C, bindparam("manager_id"), bindparam("department_id")))
_PG_WITH_CUSTOMER = select(
    Customer, *_pg_columns(Customer.id, Customer.manager_id, Customer.department_id)
).where(Customer.tenant_id == T, Customer.id == C)


def _utc(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def _date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


# Per list, the position in its rows of the value JSON carried as text, and how to read it.
_TEXT: dict[str, tuple[int, Callable[[str | None], Any]]] = {
    "notes": (1, _utc),
    "consents": (5, _utc),
    "merges": (3, _utc),
    "contacts": (10, _date),
}


def _rows_pg(session: Session, t: int, c: Customer) -> DossierRows:
    keys = {
        "tenant_id": t,
        "customer_id": c.id,
        "manager_id": c.manager_id,
        "department_id": c.department_id,
    }
    return _parse(session.execute(_PG, keys).one()._mapping)


def customer_and_rows(
    session: Session, tenant_id: int, customer_id: int
) -> tuple[Customer | None, DossierRows | None]:
    """The customer row and, on PostgreSQL, its dossier's rows in the same statement (None
    elsewhere: read them with `dossier_rows` once access is checked)."""
    keys = {"tenant_id": tenant_id, "customer_id": customer_id}
    if session.get_bind().dialect.name != "postgresql":
        q = select(Customer).where(Customer.tenant_id == T, Customer.id == C)
        return session.scalars(q, keys).one_or_none(), None
    got = session.execute(_PG_WITH_CUSTOMER, keys).one_or_none()
    return (None, None) if got is None else (got[0], _parse(got._mapping))


def _parse(got: Any) -> DossierRows:
    lists: dict[str, list[Row]] = {}
    for name in _LISTS:
        rows = [tuple(r) for r in got[name] or ()]
        if name in _TEXT:
            at, read = _TEXT[name]
            rows = [(*r[:at], read(r[at]), *r[at + 1 :]) for r in rows]
        lists[name] = rows
    count, first, last = got["orders"]
    manager = got["manager"]
    return DossierRows(
        manager=(manager[0], manager[1]) if manager else None,
        department=got["department"],
        orders=(int(count), _utc(first), _utc(last)),
        **lists,
    )
