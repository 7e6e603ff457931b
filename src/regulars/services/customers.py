"""Enrolling and updating customers: people and companies with their names, phones, e-mails,
addresses, dates, manager, tags and classification — validated and normalised on the way in.

Reading them back (show, list, search) lives in `customer_queries`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Final, TypeAlias

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from regulars.domain.customers import CustomerKind, Potential
from regulars.domain.errors import Conflict, InvalidName, PreconditionFailed, ValidationError
from regulars.domain.names import (
    PersonName,
    clean,
    name_key,
    normalize_language,
    split_full_name,
)
from regulars.services.audit import record_event
from regulars.services.context import BusinessContext
from regulars.services.customer_records import (
    INTEREST,
    TAG,
    add_emails,
    add_phones,
    add_tags,
    load_customer,
    parse_emails,
    parse_phones,
    parse_tags,
    today_for,
)
from regulars.services.customer_views import Dossier, build_dossier, customer_version
from regulars.services.orders import refresh_first_deal_on
from regulars.services.staff import department_id_for, staff_id_by_email
from regulars.store.tables import Address, Customer, CustomerTag, Email, Phone
from regulars.store.uow import UnitOfWork


class _Unset(Enum):
    UNSET = 0


UNSET: Final = _Unset.UNSET
"""Marks an update argument that was not given (None means: clear the value)."""
Maybe: TypeAlias = "_Unset | None"


@dataclass(frozen=True, slots=True)
class AddressIn:
    line1: str
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    label: str | None = None  # billing, delivery, office…


def _kind(kind: CustomerKind | str) -> CustomerKind:
    try:
        return CustomerKind(str(kind).strip().lower())
    except ValueError:
        raise ValidationError(
            f"unknown kind {kind!r}: use person or company", field="kind"
        ) from None


def _potential(value: Potential | str | None) -> str | None:
    if value is None or not str(value).strip():
        return None
    try:
        return Potential(str(value).strip().lower()).value
    except ValueError:
        allowed = ", ".join(p.value for p in Potential)
        raise ValidationError(
            f"unknown potential {value!r}: use one of {allowed}", field="potential"
        ) from None


def _past_date(value: date | None, what: str, ctx: BusinessContext) -> date | None:
    if value is not None and value > today_for(ctx):
        raise ValidationError(f"the {what.replace('_', ' ')} {value} is in the future", field=what)
    return value


def _address_row(ctx: BusinessContext, customer_id: int, a: AddressIn) -> Address:
    line1 = clean(a.line1)
    if not line1:
        raise ValidationError("an address needs at least its first line", field="address")
    country = clean(a.country)
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise ValidationError(
            f"country {country!r}: use the two-letter ISO code (VN, TH, ES, FI…)", field="country"
        )
    return Address(
        tenant_id=ctx.tenant_id,
        customer_id=customer_id,
        label=clean(a.label),
        line1=line1,
        line2=clean(a.line2),
        city=clean(a.city),
        region=clean(a.region),
        postal_code=clean(a.postal_code),
        country=country.upper() if country else None,
    )


def _person_parts(
    name: str | None, given: PersonName, language: str | None
) -> tuple[str, PersonName]:
    """Display name and parts: typed parts win over the ones split from the full name."""
    if clean(name):
        split = split_full_name(name or "", language)
        parts = PersonName(
            family=given.family or split.family,
            given=given.given or split.given,
            middle=given.middle or split.middle,
            patronymic=given.patronymic,
        )
        return clean(name) or "", parts
    return given.display(language), given


def _check_external_id(session: Session, ctx: BusinessContext, ext: str, own: int | None) -> None:
    other = session.scalar(
        select(Customer.id).where(Customer.tenant_id == ctx.tenant_id, Customer.external_id == ext)
    )
    if other is not None and other != own:
        raise Conflict(
            f"external id {ext!r} already belongs to customer {other}", field="external_id"
        )


def enroll_customer(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    kind: CustomerKind | str = CustomerKind.PERSON,
    name: str | None = None,
    family_name: str | None = None,
    given_name: str | None = None,
    middle_name: str | None = None,
    patronymic: str | None = None,
    legal_name: str | None = None,
    external_id: str | None = None,
    phones: Sequence[str] = (),
    emails: Sequence[str] = (),
    addresses: Sequence[AddressIn] = (),
    language: str | None = None,
    birthday: date | None = None,
    founded_on: date | None = None,
    first_deal_on: date | None = None,
    manager_email: str | None = None,
    department: str | None = None,
    tags: Sequence[str] = (),
    interests: Sequence[str] = (),
    potential: Potential | str | None = None,
    region: str | None = None,
    income_band: str | None = None,
) -> Dossier:
    """Add a person or a company to the customer base and return its dossier.

    A person's full name is split into parts by the language's custom (Vietnamese family name
    first, Spanish two surnames); phones become E.164 in the business's region, and a number that
    cannot exist is refused with the reason, so nothing half-right is stored.
    """
    k = _kind(kind)
    lang = normalize_language(language)
    parts = PersonName(clean(family_name), clean(given_name), clean(middle_name), clean(patronymic))
    if k is CustomerKind.PERSON:
        if founded_on is not None:
            raise ValidationError(
                "a person has a birthday, not a founding date", field="founded_on"
            )
        display, parts = _person_parts(name, parts, lang or ctx.default_language)
    else:
        if birthday is not None:
            raise ValidationError("a company has a founding date, not a birthday", field="birthday")
        if any((parts.family, parts.given, parts.middle, parts.patronymic)):
            raise InvalidName("a company has a name, not family or given names", field="name")
        display = clean(name) or clean(legal_name) or ""
        if not display:
            raise InvalidName("a company needs a name", field="name")
    phone_list = parse_phones(phones, ctx.default_region)
    email_list = parse_emails(emails)
    tag_list, interest_list = parse_tags(tags, "tag"), parse_tags(interests, "interest")
    ext = clean(external_id)
    now = datetime.now(UTC)
    with uow:
        s = uow.session
        if ext:
            _check_external_id(s, ctx, ext, None)
        c = Customer(
            tenant_id=ctx.tenant_id,
            external_id=ext,
            kind=k.value,
            display_name=display,
            family_name=parts.family,
            given_name=parts.given,
            middle_name=parts.middle,
            patronymic=parts.patronymic,
            legal_name=clean(legal_name),
            name_key=name_key(display, company=k is CustomerKind.COMPANY),
            language=lang,
            birthday=_past_date(birthday, "birthday", ctx),
            founded_on=_past_date(founded_on, "founded_on", ctx),
            first_deal_on=_past_date(first_deal_on, "first_deal_on", ctx),
            first_deal_overridden=first_deal_on is not None,
            manager_id=staff_id_by_email(s, ctx, manager_email) if manager_email else None,
            department_id=department_id_for(s, ctx, department) if department else None,
            potential=_potential(potential),
            region=clean(region),
            income_band=clean(income_band),
            status="active",
            created_at=now,
            updated_at=now,
        )
        s.add(c)
        s.flush()
        add_phones(s, ctx, c.id, phone_list)
        add_emails(s, ctx, c.id, email_list)
        add_tags(s, ctx, c.id, TAG, tag_list)
        add_tags(s, ctx, c.id, INTEREST, interest_list)
        s.add_all(_address_row(ctx, c.id, a) for a in addresses)
        s.flush()
        return build_dossier(s, ctx, c)


def update_customer(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    customer_id: int,
    name: str | _Unset = UNSET,
    family_name: str | Maybe = UNSET,
    given_name: str | Maybe = UNSET,
    middle_name: str | Maybe = UNSET,
    patronymic: str | Maybe = UNSET,
    legal_name: str | Maybe = UNSET,
    external_id: str | Maybe = UNSET,
    language: str | Maybe = UNSET,
    birthday: date | Maybe = UNSET,
    founded_on: date | Maybe = UNSET,
    first_deal_on: date | Maybe = UNSET,
    manager_email: str | Maybe = UNSET,
    department: str | Maybe = UNSET,
    potential: Potential | str | Maybe = UNSET,
    region: str | Maybe = UNSET,
    income_band: str | Maybe = UNSET,
    add_phone_numbers: Sequence[str] = (),
    remove_phone_numbers: Sequence[str] = (),
    add_email_addresses: Sequence[str] = (),
    remove_email_addresses: Sequence[str] = (),
    add_tag_values: Sequence[str] = (),
    remove_tag_values: Sequence[str] = (),
    add_interest_values: Sequence[str] = (),
    remove_interest_values: Sequence[str] = (),
    add_addresses: Sequence[AddressIn] = (),
    if_version: str | None = None,
) -> Dossier:
    """With `if_version` (from version_of), refuse when the customer changed since it was read.

    Change what is given, leave the rest; `None` clears a field, `first_deal_on=None`
    goes back to the date derived from the first order."""
    fields = {
        "name": name,
        "family_name": family_name,
        "given_name": given_name,
        "middle_name": middle_name,
        "patronymic": patronymic,
        "legal_name": legal_name,
        "external_id": external_id,
        "language": language,
        "birthday": birthday,
        "founded_on": founded_on,
        "first_deal_on": first_deal_on,
        "manager": manager_email,
        "department": department,
        "potential": potential,
        "region": region,
        "income_band": income_band,
        "phones": (*add_phone_numbers, *remove_phone_numbers),
        "emails": (*add_email_addresses, *remove_email_addresses),
        "tags": (*add_tag_values, *remove_tag_values),
        "interests": (*add_interest_values, *remove_interest_values),
        "addresses": tuple(add_addresses),
    }
    add_p = parse_phones(add_phone_numbers, ctx.default_region)
    rem_p = parse_phones(remove_phone_numbers, ctx.default_region)
    add_e, rem_e = parse_emails(add_email_addresses), parse_emails(remove_email_addresses)
    add_t, rem_t = parse_tags(add_tag_values, "tag"), parse_tags(remove_tag_values, "tag")
    add_i = parse_tags(add_interest_values, "interest")
    rem_i = parse_tags(remove_interest_values, "interest")
    if if_version is not None:
        uow = uow.locking()  # SQLite: the write lock before the version is read
    with uow:
        s = uow.session
        c = load_customer(s, ctx, customer_id, writable=True)
        if if_version is not None:
            s.refresh(c, with_for_update=True)  # PostgreSQL: lock the row, then compare
            if customer_version(c.id, c.updated_at) != if_version:
                raise PreconditionFailed(
                    f"customer {customer_id} changed since you read it: read it again"
                )
        is_person = c.kind == CustomerKind.PERSON.value
        if language is not UNSET:
            c.language = normalize_language(language)
        name_parts = (family_name, given_name, middle_name, patronymic)
        if name is not UNSET or any(p is not UNSET for p in name_parts):
            _rename(c, ctx, name, family_name, given_name, middle_name, patronymic)
        if legal_name is not UNSET:
            c.legal_name = clean(legal_name)
        if external_id is not UNSET:
            ext = clean(external_id)
            if ext:
                _check_external_id(s, ctx, ext, c.id)
            c.external_id = ext
        if birthday is not UNSET:
            if birthday is not None and not is_person:
                raise ValidationError(
                    "a company has a founding date, not a birthday", field="birthday"
                )
            c.birthday = _past_date(birthday, "birthday", ctx)
        if founded_on is not UNSET:
            if founded_on is not None and is_person:
                raise ValidationError(
                    "a person has a birthday, not a founding date", field="founded_on"
                )
            c.founded_on = _past_date(founded_on, "founded_on", ctx)
        if first_deal_on is not UNSET:
            c.first_deal_on = _past_date(first_deal_on, "first_deal_on", ctx)
            c.first_deal_overridden = first_deal_on is not None
            if first_deal_on is None:  # back to the date the orders say
                s.flush()
                refresh_first_deal_on(s, tenant_id=ctx.tenant_id, customer=c, timezone=ctx.timezone)
        if manager_email is not UNSET:
            c.manager_id = staff_id_by_email(s, ctx, manager_email) if manager_email else None
        if department is not UNSET:
            c.department_id = department_id_for(s, ctx, department) if department else None
        if potential is not UNSET:
            c.potential = _potential(potential)
        if region is not UNSET:
            c.region = clean(region)
        if income_band is not UNSET:
            c.income_band = clean(income_band)
        t = ctx.tenant_id
        own = (Phone.tenant_id == t, Phone.customer_id == c.id, Phone.contact_id.is_(None))
        if rem_p:
            s.execute(delete(Phone).where(*own, Phone.e164.in_(rem_p)))
        own_e = (Email.tenant_id == t, Email.customer_id == c.id, Email.contact_id.is_(None))
        if rem_e:
            s.execute(delete(Email).where(*own_e, Email.address.in_(rem_e)))
        for kind, values in ((TAG, rem_t), (INTEREST, rem_i)):
            if values:
                s.execute(
                    delete(CustomerTag).where(
                        CustomerTag.tenant_id == t,
                        CustomerTag.customer_id == c.id,
                        CustomerTag.kind == kind,
                        CustomerTag.value.in_(values),
                    )
                )
        s.flush()
        add_phones(s, ctx, c.id, add_p)
        add_emails(s, ctx, c.id, add_e)
        add_tags(s, ctx, c.id, TAG, add_t)
        add_tags(s, ctx, c.id, INTEREST, add_i)
        s.add_all(_address_row(ctx, c.id, a) for a in add_addresses)
        c.updated_at = datetime.now(UTC)
        changed = sorted(k for k, v in fields.items() if v is not UNSET and v != ())
        # field names only: the audit log must not keep personal data an erasure removes
        record_event(
            s,
            ctx,
            action="customer.update",
            target_kind="customer",
            target_id=c.id,
            detail={"fields": changed},
        )
        s.flush()
        return build_dossier(s, ctx, c)


def _rename(
    c: Customer,
    ctx: BusinessContext,
    name: str | _Unset,
    family: str | Maybe,
    given: str | Maybe,
    middle: str | Maybe,
    patronymic: str | Maybe,
) -> None:
    def pick(new: str | Maybe, old: str | None) -> str | None:
        return old if new is UNSET else clean(new)

    if c.kind == CustomerKind.COMPANY.value:
        if any(p is not UNSET for p in (family, given, middle, patronymic)):
            raise InvalidName("a company has a name, not family or given names", field="name")
        display = clean(name) if isinstance(name, str) else None
        if not display:
            raise InvalidName("a company needs a name", field="name")
        c.display_name, c.name_key = display, name_key(display, company=True)
        return
    lang = c.language or ctx.default_language
    typed = PersonName(
        pick(family, None if isinstance(name, str) else c.family_name),
        pick(given, None if isinstance(name, str) else c.given_name),
        pick(middle, None if isinstance(name, str) else c.middle_name),
        pick(patronymic, None if isinstance(name, str) else c.patronymic),
    )
    display, parts = _person_parts(name if isinstance(name, str) else None, typed, lang)
    c.display_name, c.name_key = display, name_key(display)
    c.family_name, c.given_name = parts.family, parts.given
    c.middle_name, c.patronymic = parts.middle, parts.patronymic
