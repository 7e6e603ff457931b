"""Consent to be contacted, per channel and purpose: an append-only history whose latest entry
per (contact, channel, purpose) is in force — so "when did she opt out, and where?" has an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.domain.customers import ConsentChannel, ConsentPurpose
from regulars.domain.errors import NotFound, ValidationError
from regulars.domain.names import clean
from regulars.services.audit import record_event
from regulars.services.context import BusinessContext
from regulars.services.customer_records import load_customer
from regulars.store.tables import Consent, Contact
from regulars.store.uow import UnitOfWork

E = TypeVar("E", ConsentChannel, ConsentPurpose)


@dataclass(frozen=True, slots=True)
class ConsentView:
    id: int
    channel: str
    purpose: str
    granted: bool
    source: str
    recorded_at: datetime
    contact_id: int | None  # None: the customer itself


def _view(c: Consent) -> ConsentView:
    return ConsentView(c.id, c.channel, c.purpose, c.granted, c.source, c.recorded_at, c.contact_id)


def _history(session: Session, ctx: BusinessContext, customer_id: int) -> list[Consent]:
    return list(
        session.scalars(
            select(Consent)
            .where(Consent.tenant_id == ctx.tenant_id, Consent.customer_id == customer_id)
            .order_by(Consent.recorded_at, Consent.id)
        )
    )


def current_consents(session: Session, ctx: BusinessContext, customer_id: int) -> list[ConsentView]:
    """The entry in force for each (contact, channel, purpose): the latest one recorded."""
    latest: dict[tuple[int | None, str, str], Consent] = {}
    for c in _history(session, ctx, customer_id):
        latest[(c.contact_id, c.channel, c.purpose)] = c
    return [_view(c) for c in latest.values()]


def consent_in_force(
    session: Session,
    ctx: BusinessContext,
    customer_id: int,
    channel: ConsentChannel,
    purpose: ConsentPurpose,
    contact_id: int | None = None,
) -> bool | None:
    """The latest word of the customer (or contact) for this channel and purpose; None: none."""
    for c in current_consents(session, ctx, customer_id):
        if c.contact_id == contact_id and c.channel == channel.value and c.purpose == purpose.value:
            return c.granted
    return None


def _enum(kind: type[E], value: str, what: str) -> E:
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise ValidationError(
            f"unknown {what} {value!r}: use one of {allowed}", field=what
        ) from None


def record_consent(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    customer_id: int,
    channel: ConsentChannel | str,
    purpose: ConsentPurpose | str,
    granted: bool,
    source: str,
    contact_id: int | None = None,
    at: datetime | None = None,
) -> ConsentView:
    """Append a grant or a withdrawal; earlier entries stay as the record of what was allowed."""
    ch = _enum(ConsentChannel, channel, "channel")
    pu = _enum(ConsentPurpose, purpose, "purpose")
    src = clean(source)
    if not src:
        raise ValidationError(
            "say where the consent came from (web form, till, call…)", field="source"
        )
    when = at or datetime.now(UTC)
    if when.tzinfo is None:
        raise ValidationError("the consent time needs a time zone", field="at")
    with uow:
        s = uow.session
        load_customer(s, ctx, customer_id, writable=True)
        if contact_id is not None:
            owner = s.scalar(
                select(Contact.customer_id).where(
                    Contact.tenant_id == ctx.tenant_id, Contact.id == contact_id
                )
            )
            if owner != customer_id:
                raise NotFound(f"customer {customer_id} has no contact {contact_id}")
        row = Consent(
            tenant_id=ctx.tenant_id,
            customer_id=customer_id,
            contact_id=contact_id,
            channel=ch.value,
            purpose=pu.value,
            granted=granted,
            source=src[:100],
            recorded_at=when,
            recorded_by=ctx.actor_id,
        )
        s.add(row)
        s.flush()
        record_event(
            s,
            ctx,
            action="consent.record",
            target_kind="customer",
            target_id=customer_id,
            detail={"channel": ch.value, "purpose": pu.value, "granted": granted},
        )
        return _view(row)


def consent_history(
    uow: UnitOfWork, *, ctx: BusinessContext, customer_id: int
) -> list[ConsentView]:
    """Every grant and withdrawal, oldest first."""
    with uow:
        load_customer(uow.session, ctx, customer_id)
        return [_view(c) for c in _history(uow.session, ctx, customer_id)]


def may_contact(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    customer_id: int,
    channel: ConsentChannel | str,
    purpose: ConsentPurpose | str,
) -> bool:
    """Whether the customer's latest word for this channel and purpose is yes (no record: no)."""
    ch = _enum(ConsentChannel, channel, "channel")
    pu = _enum(ConsentPurpose, purpose, "purpose")
    with uow:
        return bool(consent_in_force(uow.session, ctx, customer_id, ch, pu))
