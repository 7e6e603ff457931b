"""What the customer use cases return: the full dossier and the one-line summary, as plain data
that the CLI, the API and the dashboard render (and `--json` prints) without touching the store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.domain.customers import age_band
from regulars.services.consents import ConsentView
from regulars.services.context import BusinessContext
from regulars.services.customer_records import INTEREST, TAG, today_for
from regulars.services.dossier_rows import DossierRows, dossier_rows
from regulars.services.dossier_rows import manager_and_department as manager_and_department
from regulars.store.tables import Customer, Department, Email, Phone, StaffUser


@dataclass(frozen=True, slots=True)
class PhoneView:
    e164: str
    label: str | None
    primary: bool


@dataclass(frozen=True, slots=True)
class EmailView:
    address: str
    label: str | None
    primary: bool


@dataclass(frozen=True, slots=True)
class AddressView:
    id: int
    label: str | None
    line1: str
    line2: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None


@dataclass(frozen=True, slots=True)
class NoteView:
    id: int
    created_at: datetime
    author: str | None  # the staff user's e-mail
    body: str
    kind: str = "note"


@dataclass(frozen=True, slots=True)
class ContactView:
    id: int
    display_name: str
    family_name: str | None
    given_name: str | None
    patronymic: str | None
    level: str
    job_title: str | None
    department: str | None
    buying_role: str | None
    stance: str | None
    birthday: date | None
    language: str | None
    phones: list[str]
    emails: list[str]


@dataclass(frozen=True, slots=True)
class MergeView:
    """One merge this customer took part in, with what moved and which values were kept."""

    id: int
    survivor_id: int
    merged_id: int
    merged_at: datetime
    reason: str | None
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Dossier:
    """Everything the business knows about one customer, on one page."""

    id: int
    external_id: str | None
    kind: str
    status: str  # active | merged
    merged_into_id: int | None
    display_name: str
    family_name: str | None
    given_name: str | None
    middle_name: str | None
    patronymic: str | None
    legal_name: str | None
    language: str | None
    birthday: date | None
    age_band: str | None
    founded_on: date | None
    first_deal_on: date | None  # set by hand, or the local date of the first order
    first_deal_overridden: bool
    manager: str | None  # staff e-mail
    manager_name: str | None
    department: str | None
    potential: str | None
    region: str | None
    income_band: str | None
    tags: list[str]
    interests: list[str]
    phones: list[PhoneView]
    emails: list[EmailView]
    addresses: list[AddressView]
    notes: list[NoteView]
    contacts: list[ContactView]
    consents: list[ConsentView]
    merges: list[MergeView]
    order_count: int
    first_order_at: datetime | None
    last_order_at: datetime | None
    created_at: datetime
    updated_at: datetime


def customer_version(customer_id: int, updated_at: datetime) -> str:
    """A customer's version for optimistic locking (ETag / If-Match): its last change."""
    stamp = updated_at.astimezone(UTC) if updated_at.tzinfo else updated_at
    return f"{customer_id}.{stamp:%Y%m%d%H%M%S%f}"


def version_of(d: Dossier) -> str:
    return customer_version(d.id, d.updated_at)


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    id: int
    external_id: str | None
    kind: str
    display_name: str
    phone: str | None  # primary
    email: str | None  # primary
    language: str | None
    manager: str | None
    department: str | None
    potential: str | None
    region: str | None


def build_dossier(
    session: Session, ctx: BusinessContext, c: Customer, rows: DossierRows | None = None
) -> Dossier:
    """The dossier of a customer; `rows` when already read with it (`customer_and_rows`)."""
    r = rows or dossier_rows(session, ctx.tenant_id, c)
    contact_phones: dict[int, list[str]] = defaultdict(list)
    contact_emails: dict[int, list[str]] = defaultdict(list)
    for e164, _, _, contact in r.phones:
        if contact is not None:
            contact_phones[contact].append(e164)
    for address, _, _, contact in r.emails:
        if contact is not None:
            contact_emails[contact].append(address)
    in_force: dict[tuple[int | None, str, str], ConsentView] = {}
    for k in r.consents:  # the latest entry per (contact, channel, purpose): current_consents
        view = ConsentView(*k)
        in_force[(view.contact_id, view.channel, view.purpose)] = view
    band = age_band(c.birthday, today_for(ctx))
    return Dossier(
        id=c.id,
        external_id=c.external_id,
        kind=c.kind,
        status=c.status,
        merged_into_id=c.merged_into_id,
        display_name=c.display_name,
        family_name=c.family_name,
        given_name=c.given_name,
        middle_name=c.middle_name,
        patronymic=c.patronymic,
        legal_name=c.legal_name,
        language=c.language,
        birthday=c.birthday,
        age_band=band.value if band else None,
        founded_on=c.founded_on,
        first_deal_on=c.first_deal_on,
        first_deal_overridden=c.first_deal_overridden,
        manager=r.manager[0] if r.manager else None,
        manager_name=r.manager[1] if r.manager else None,
        department=r.department,
        potential=c.potential,
        region=c.region,
        income_band=c.income_band,
        tags=[v for k, v in r.tags if k == TAG],
        interests=[v for k, v in r.tags if k == INTEREST],
        phones=[PhoneView(n, label, first) for n, label, first, ct in r.phones if ct is None],
        emails=[EmailView(a, label, first) for a, label, first, ct in r.emails if ct is None],
        addresses=[AddressView(*a) for a in r.addresses],
        notes=[NoteView(*n) for n in r.notes],
        contacts=[_contact(k, contact_phones, contact_emails) for k in r.contacts],
        consents=list(in_force.values()),
        merges=[MergeView(*m) for m in r.merges],
        order_count=r.orders[0],
        first_order_at=r.orders[1],
        last_order_at=r.orders[2],
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def _contact(
    row: tuple[Any, ...], phones: dict[int, list[str]], emails: dict[int, list[str]]
) -> ContactView:
    cid, name, family, given, patronymic, level, title, dept, role, stance, birthday, lang = row
    return ContactView(
        cid,
        name,
        family,
        given,
        patronymic,
        level,
        title,
        dept,
        role,
        stance,
        birthday,
        lang,
        phones.get(cid, []),
        emails.get(cid, []),
    )


def summarize(
    session: Session, ctx: BusinessContext, rows: Sequence[Customer]
) -> list[CustomerSummary]:
    """One line per customer with the primary phone and e-mail, in the order given."""
    ids = [c.id for c in rows]
    if not ids:
        return []
    t = ctx.tenant_id
    phone: dict[int, str] = {}
    for cid, e164 in session.execute(
        select(Phone.customer_id, Phone.e164)
        .where(Phone.tenant_id == t, Phone.customer_id.in_(ids), Phone.contact_id.is_(None))
        .order_by(Phone.is_primary.desc(), Phone.id)
    ):
        phone.setdefault(cid, e164)
    email: dict[int, str] = {}
    for cid, addr in session.execute(
        select(Email.customer_id, Email.address)
        .where(Email.tenant_id == t, Email.customer_id.in_(ids), Email.contact_id.is_(None))
        .order_by(Email.is_primary.desc(), Email.id)
    ):
        email.setdefault(cid, addr)
    staff_ids = {c.manager_id for c in rows if c.manager_id}
    staff: dict[int, str] = {}
    if staff_ids:
        q = select(StaffUser.id, StaffUser.email).where(
            StaffUser.tenant_id == t, StaffUser.id.in_(staff_ids)
        )
        staff = {sid: mail for sid, mail in session.execute(q)}
    dep_ids = {c.department_id for c in rows if c.department_id}
    deps: dict[int, str] = {}
    if dep_ids:
        q = select(Department.id, Department.name).where(
            Department.tenant_id == t, Department.id.in_(dep_ids)
        )
        deps = {did: name for did, name in session.execute(q)}
    return [
        CustomerSummary(
            id=c.id,
            external_id=c.external_id,
            kind=c.kind,
            display_name=c.display_name,
            phone=phone.get(c.id),
            email=email.get(c.id),
            language=c.language,
            manager=staff.get(c.manager_id) if c.manager_id else None,
            department=deps.get(c.department_id) if c.department_id else None,
            potential=c.potential,
            region=c.region,
        )
        for c in rows
    ]
