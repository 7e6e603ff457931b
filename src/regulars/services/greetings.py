"""Personal greetings: one e-mail per occasion (birthday, founding day, first-deal
anniversary), with the customer's own name, in their language, only with their consent and
within the marketing cap. Written to the outbox; the worker sends them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regulars.domain.addressing import Addressee
from regulars.domain.customers import ConsentChannel, ConsentPurpose, CustomerKind
from regulars.domain.messages import MessageKind, Purpose
from regulars.domain.names import PersonName
from regulars.domain.occasions import Occasion
from regulars.domain.outbox import Channel, DeliveryStatus
from regulars.messaging.email import build_email, kept_headers
from regulars.messaging.rendering import Voice, render
from regulars.services.consents import consent_in_force
from regulars.services.context import BusinessContext
from regulars.services.occasions import occasions_on
from regulars.services.optout import opt_out_token, opt_out_url
from regulars.services.outbox import Envelope, enqueue
from regulars.store.message_tables import OutboxMessage
from regulars.store.tables import Business, Contact, Customer, Email
from regulars.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class MailSetup:
    """What marketing e-mail needs from the install's settings."""

    mail_from: str
    secret_key: str | None
    public_url: str | None
    cap: int = 2  # marketing messages per customer…
    cap_days: int = 30  # …in this many days

    def ready(self) -> str | None:
        """Why marketing e-mail cannot be built, or None."""
        if not self.public_url or not self.public_url.startswith("https://"):
            return "set REGULARS_PUBLIC_URL (https) for the opt-out links"
        if not self.secret_key or len(self.secret_key) < 16:
            return "set REGULARS_SECRET_KEY (16 characters or more) to sign the opt-out links"
        return None


@dataclass
class GreetingRun:
    queued: int = 0
    no_address: int = 0
    no_consent: int = 0
    capped: int = 0
    already: int = 0  # queued by an earlier run for the same day
    not_ready: str | None = None
    skipped: list[str] = field(default_factory=list)


def _parts(row: Customer | Contact) -> PersonName:
    return PersonName(
        family=row.family_name,
        given=row.given_name,
        middle=getattr(row, "middle_name", None),
        patronymic=row.patronymic,
    )


def _addressee(c: Customer, contact: Contact | None) -> Addressee:
    if contact is not None:
        person = Addressee(contact.display_name, _parts(contact))
        if c.kind == CustomerKind.COMPANY.value:
            return Addressee(c.display_name, kind=CustomerKind.COMPANY, contact=person)
        return person
    if c.kind == CustomerKind.COMPANY.value:
        return Addressee(c.display_name, kind=CustomerKind.COMPANY)
    return Addressee(c.display_name, _parts(c))


def _email_of(s: Session, c: Customer, contact_id: int | None) -> str | None:
    rows = s.execute(
        select(Email.address)
        .where(Email.customer_id == c.id, Email.tenant_id == c.tenant_id)
        .where(Email.contact_id == contact_id if contact_id else Email.contact_id.is_(None))
        .order_by(Email.is_primary.desc(), Email.id)
    ).first()
    return rows[0] if rows else None


def _recent_marketing(s: Session, ctx: BusinessContext, cid: int, since: datetime) -> int:
    n = s.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.tenant_id == ctx.tenant_id,
            OutboxMessage.customer_id == cid,
            OutboxMessage.purpose == Purpose.MARKETING.value,
            OutboxMessage.status != DeliveryStatus.DEAD.value,
            OutboxMessage.created_at >= since,
        )
    )
    return int(n or 0)


def _context(o: Occasion, c: Customer, who: Addressee, business: str) -> dict[str, Any]:
    ctx: dict[str, Any] = {"customer": who, "business": business}
    if o.kind.value == MessageKind.COMPANY_ANNIVERSARY.value:
        ctx.update(company=c.display_name, years=o.years)
    elif o.kind.value == MessageKind.FIRST_DEAL_ANNIVERSARY.value:
        ctx.update(years=o.years, first_deal_on=c.first_deal_on)
    return ctx


def greet_occasions(
    uow: UnitOfWork, *, ctx: BusinessContext, day: date, setup: MailSetup
) -> GreetingRun:
    """Queue today's greetings (the business's local `day`); safe to run again the same day."""
    run = GreetingRun()
    run.not_ready = setup.ready()
    if run.not_ready:
        return run
    sender = parseaddr(setup.mail_from)
    local_start = datetime.combine(day, time(0), tzinfo=ZoneInfo(ctx.timezone))
    since = local_start - timedelta(days=setup.cap_days)
    with uow:
        s = uow.session
        business = s.get_one(Business, ctx.tenant_id).name
        voice = Voice(default_language=ctx.default_language)
        for o in occasions_on(s, ctx, day):
            c = s.get_one(Customer, o.customer_id)
            contact = s.get(Contact, o.contact_id) if o.contact_id else None
            address = _email_of(s, c, o.contact_id)
            if address is None:
                run.no_address += 1
                continue
            marketing = (ConsentChannel.EMAIL, ConsentPurpose.MARKETING, o.contact_id)
            if not consent_in_force(s, ctx, c.id, *marketing):
                run.no_consent += 1
                continue
            if _recent_marketing(s, ctx, c.id, since) >= setup.cap:
                run.capped += 1
                continue
            who = _addressee(c, contact)
            language = (contact.language if contact else None) or c.language or ctx.default_language
            token = opt_out_token(
                setup.secret_key, tenant_id=ctx.tenant_id, customer_id=c.id, contact_id=o.contact_id
            )
            context = _context(o, c, who, business)
            context["unsubscribe_url"] = opt_out_url(setup.public_url or "", token)
            rendered = render(MessageKind(o.kind.value), language, context, voice=voice)
            mail = build_email(
                rendered,
                sender=sender[1],
                sender_name=sender[0] or business,
                recipient=address,
                recipient_name=contact.display_name if contact else c.display_name,
                unsubscribe_url=context["unsubscribe_url"],
            )
            written = enqueue(
                s,
                ctx,
                Envelope(
                    kind=rendered.kind.value,
                    purpose=Purpose.MARKETING.value,
                    channel=Channel.EMAIL,
                    recipient=address,
                    language=rendered.language,
                    subject=rendered.subject,
                    text=rendered.text,
                    html=rendered.html,
                    headers=kept_headers(mail),
                    customer_id=c.id,
                    dedupe_key=f"{o.kind.value}:{day.isoformat()}:{c.id}:{o.contact_id or 0}",
                ),
            )
            if written:
                run.queued += 1
            else:
                run.already += 1
    return run
