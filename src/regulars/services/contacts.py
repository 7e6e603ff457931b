"""The people inside a company customer, and the dossier of notes on any customer.

B2B sales are won by knowing many people at the customer — owner, CEO, managers, accountant,
staff — and who among them decides, pays, judges the technique, or opposes the deal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import select

from regulars.domain.customers import NOTE_KINDS, BuyingRole, ContactLevel, CustomerKind, Stance
from regulars.domain.errors import ValidationError
from regulars.domain.names import PersonName, clean, normalize_language, split_full_name
from regulars.services.context import BusinessContext
from regulars.services.customer_records import (
    add_emails,
    add_phones,
    load_customer,
    parse_emails,
    parse_phones,
    today_for,
)
from regulars.services.customer_views import ContactView, NoteView
from regulars.services.staff import staff_id_by_email
from regulars.store.tables import Contact, Note, StaffUser
from regulars.store.uow import UnitOfWork

E = TypeVar("E", bound=StrEnum)


def _choice(kind: type[E], value: E | str | None, what: str) -> E | None:
    if value is None or not str(value).strip():
        return None
    try:
        return kind(str(value).strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise ValidationError(
            f"unknown {what.replace('_', ' ')} {value!r}: use one of {allowed}", field=what
        ) from None


def add_contact(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    customer_id: int,
    name: str | None = None,
    family_name: str | None = None,
    given_name: str | None = None,
    patronymic: str | None = None,
    level: ContactLevel | str = ContactLevel.STAFF,
    job_title: str | None = None,
    department: str | None = None,
    buying_role: BuyingRole | str | None = None,
    stance: Stance | str | None = None,
    phones: Sequence[str] = (),
    emails: Sequence[str] = (),
    birthday: date | None = None,
    language: str | None = None,
) -> ContactView:
    """Add a person at a company customer, with their level, role in buying and stance."""
    lvl = _choice(ContactLevel, level, "level") or ContactLevel.STAFF
    role = _choice(BuyingRole, buying_role, "buying_role")
    st = _choice(Stance, stance, "stance")
    lang = normalize_language(language)
    typed = PersonName(
        family=clean(family_name), given=clean(given_name), patronymic=clean(patronymic)
    )
    if clean(name):
        split = split_full_name(name or "", lang or ctx.default_language)
        parts = PersonName(
            family=typed.family or split.family,
            given=typed.given or split.given,
            patronymic=typed.patronymic,
        )
        display = clean(name) or ""
    else:
        parts = typed
        display = typed.display(lang or ctx.default_language)
    if birthday is not None and birthday > today_for(ctx):
        raise ValidationError(f"the birthday {birthday} is in the future", field="birthday")
    phone_list = parse_phones(phones, ctx.default_region)
    email_list = parse_emails(emails)
    with uow:
        s = uow.session
        c = load_customer(s, ctx, customer_id, writable=True)
        if c.kind != CustomerKind.COMPANY.value:
            raise ValidationError(
                f"customer {customer_id} is a person: contacts belong to companies",
                field="customer",
            )
        contact = Contact(
            tenant_id=ctx.tenant_id,
            customer_id=c.id,
            display_name=display,
            family_name=parts.family,
            given_name=parts.given,
            patronymic=parts.patronymic,
            level=lvl.value,
            job_title=clean(job_title),
            department=clean(department),
            buying_role=role.value if role else None,
            stance=st.value if st else None,
            birthday=birthday,
            language=lang,
            created_at=datetime.now(UTC),
        )
        s.add(contact)
        s.flush()
        add_phones(s, ctx, c.id, phone_list, contact_id=contact.id)
        add_emails(s, ctx, c.id, email_list, contact_id=contact.id)
        return ContactView(
            contact.id,
            display,
            parts.family,
            parts.given,
            parts.patronymic,
            lvl.value,
            contact.job_title,
            contact.department,
            contact.buying_role,
            contact.stance,
            birthday,
            lang,
            phone_list,
            email_list,
        )


def add_note(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    customer_id: int,
    body: str,
    author_email: str | None = None,
    kind: str = "note",
) -> NoteView:
    """Add a timestamped note to the dossier; the author is the staff user given, or the actor.
    `kind` feedback or suggestion records what the customer told us (a loyalty signal)."""
    text = (body or "").strip()
    if not text:
        raise ValidationError("the note is empty", field="body")
    kind = (kind or "note").strip().lower()
    if kind not in NOTE_KINDS:
        raise ValidationError(
            f"unknown note kind {kind!r} (known: {', '.join(NOTE_KINDS)})", field="kind"
        )
    with uow:
        s = uow.session
        load_customer(s, ctx, customer_id, writable=True)
        author_id = staff_id_by_email(s, ctx, author_email) if author_email else ctx.actor_id
        note = Note(
            tenant_id=ctx.tenant_id,
            customer_id=customer_id,
            author_id=author_id,
            created_at=datetime.now(UTC),
            body=text,
            kind=kind,
        )
        s.add(note)
        s.flush()
        author = (
            s.scalar(
                select(StaffUser.email).where(
                    StaffUser.tenant_id == ctx.tenant_id, StaffUser.id == author_id
                )
            )
            if author_id
            else None
        )
        return NoteView(note.id, note.created_at, author, text, kind)
