"""Campaigns with a random control group, drawn and stored when the campaign is sent.

Holding back a random share of the audience is what lets "did it pay off" tell the campaign's
effect from what those customers would have bought anyway. Here "sending" records who was in
which group and when; the messaging issue will deliver the messages.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regulars.domain.errors import Conflict, InvalidMoney, NotFound, ValidationError
from regulars.domain.money import from_minor, normalize_currency, parse_amount, to_minor
from regulars.services.context import BusinessContext
from regulars.store.campaign_tables import Campaign, CampaignMember
from regulars.store.tables import Customer
from regulars.store.uow import UnitOfWork

TREATMENT = "treatment"
CONTROL = "control"
DEFAULT_CONTROL_SHARE = Decimal("0.1")


class CampaignKind(StrEnum):
    DISCOUNT = "discount"
    ANNOUNCEMENT = "announcement"
    WINBACK = "winback"
    BONUS = "bonus"
    OTHER = "other"


class CampaignExists(Conflict):
    code = "campaign_exists"


@dataclass(frozen=True, slots=True)
class CampaignView:
    id: int
    code: str
    name: str
    kind: str
    promotes: str | None
    starts_on: date
    ends_on: date | None
    control_share: Decimal
    seed: int
    currency: str
    cost_per_contact: Decimal
    treatment: int = 0  # members sent to
    control: int = 0  # members held back
    sent_at: datetime | None = None  # first send


@dataclass(frozen=True, slots=True)
class Assignment:
    campaign: str
    treatment: int
    control: int
    already_assigned: int
    seed: int
    control_share: Decimal
    sent_at: datetime
    control_ids: tuple[int, ...]


def _share(value: Decimal | float | str) -> Decimal:
    try:
        share = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(f"{value!r} is not a number", field="control_share") from None
    if not (Decimal(0) <= share < Decimal(1)):
        raise ValidationError(
            "the control share must be at least 0 and below 1", field="control_share"
        )
    return share


def _code(code: str) -> str:
    text = (code or "").strip()
    if not text or len(text) > 50:
        raise ValidationError("a campaign code must be 1–50 characters", field="code")
    return text


def _view(s: Session, c: Campaign) -> CampaignView:
    counts = dict(
        s.execute(
            select(CampaignMember.member_group, func.count())
            .where(CampaignMember.tenant_id == c.tenant_id, CampaignMember.campaign_id == c.id)
            .group_by(CampaignMember.member_group)
        ).all()
    )
    first_sent = s.scalar(
        select(func.min(CampaignMember.sent_at)).where(
            CampaignMember.tenant_id == c.tenant_id, CampaignMember.campaign_id == c.id
        )
    )
    return CampaignView(
        id=c.id,
        code=c.code,
        name=c.name,
        kind=c.kind,
        promotes=c.promotes,
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        control_share=Decimal(c.control_share),
        seed=c.seed,
        currency=c.currency,
        cost_per_contact=from_minor(c.cost_per_contact_minor, c.currency),
        treatment=int(counts.get(TREATMENT, 0)),
        control=int(counts.get(CONTROL, 0)),
        sent_at=first_sent,
    )


def find_campaign(s: Session, ctx: BusinessContext, code: str) -> Campaign:
    c = s.scalar(
        select(Campaign).where(Campaign.tenant_id == ctx.tenant_id, Campaign.code == _code(code))
    )
    if c is None:
        raise NotFound(f"no campaign {code!r}")
    return c


def create_campaign(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    code: str,
    name: str | None = None,
    kind: CampaignKind | str = CampaignKind.OTHER,
    promotes: str | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    control_share: Decimal | float | str = DEFAULT_CONTROL_SHARE,
    seed: int | None = None,
    cost_per_contact: Decimal | str = "0",
    currency: str | None = None,
) -> CampaignView:
    """A new campaign; without a seed one is drawn and stored, so the split stays reproducible."""
    code = _code(code)
    try:
        kind = CampaignKind(kind)
    except ValueError:
        choices = ", ".join(CampaignKind)
        raise ValidationError(f"kind must be one of {choices}", field="kind") from None
    share = _share(control_share)
    cur = normalize_currency(currency or ctx.default_currency)
    cost = parse_amount(str(cost_per_contact), cur, field="cost_per_contact")
    if cost < 0:
        raise InvalidMoney("the cost per contact cannot be negative", field="cost_per_contact")
    start = starts_on or datetime.now(UTC).date()
    if ends_on is not None and ends_on < start:
        raise ValidationError("the campaign ends before it starts", field="ends_on")
    with uow:
        s = uow.session
        c = Campaign(
            tenant_id=ctx.tenant_id,
            code=code,
            name=(name or code).strip()[:200],
            kind=str(kind),
            promotes=(promotes or "").strip() or None,
            starts_on=start,
            ends_on=ends_on,
            control_share=str(share),
            seed=secrets.randbits(31) if seed is None else int(seed),
            currency=cur,
            cost_per_contact_minor=to_minor(cost, cur),
            created_at=datetime.now(UTC),
        )
        s.add(c)
        try:
            s.flush()
        except IntegrityError:
            raise CampaignExists(f"campaign {code!r} exists already") from None
        return _view(s, c)


def show_campaign(uow: UnitOfWork, *, ctx: BusinessContext, code: str) -> CampaignView:
    with uow:
        s = uow.session
        return _view(s, find_campaign(s, ctx, code))


def split_control(
    customer_ids: Iterable[int], control_share: Decimal, seed: int
) -> tuple[list[int], list[int]]:
    """(treatment, control): a seeded shuffle of the sorted ids; the first round(n × share) are
    the control group. The same ids, share and seed always give the same split."""
    ids = sorted(set(customer_ids))
    random.Random(seed).shuffle(ids)
    n_control = int((control_share * len(ids)).to_integral_value())
    return sorted(ids[n_control:]), sorted(ids[:n_control])


def assign_audience(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    campaign: str,
    customer_ids: Iterable[int],
    control_share: Decimal | float | str | None = None,
    seed: int | None = None,
    at: datetime | None = None,
) -> Assignment:
    """Send the campaign to an audience: hold back a random control group and store both groups.

    Customers already in the campaign keep their group (counted as already assigned); the
    share and seed default to the campaign's own. Unknown or inactive customers are refused.
    """
    now = at or datetime.now(UTC)
    wanted = set(customer_ids)
    with uow:
        s = uow.session
        c = find_campaign(s, ctx, campaign)
        share = _share(c.control_share if control_share is None else control_share)
        used_seed = c.seed if seed is None else int(seed)
        known = set(
            s.scalars(
                select(Customer.id).where(
                    Customer.tenant_id == ctx.tenant_id,
                    Customer.id.in_(wanted),
                    Customer.status == "active",
                )
            )
        )
        missing = sorted(wanted - known)
        if missing:
            shown = ", ".join(map(str, missing[:5]))
            raise NotFound(f"no active customer with id {shown}")
        taken = set(
            s.scalars(
                select(CampaignMember.customer_id).where(
                    CampaignMember.tenant_id == ctx.tenant_id,
                    CampaignMember.campaign_id == c.id,
                )
            )
        )
        treatment, control = split_control(wanted - taken, share, used_seed)
        for group, ids in ((TREATMENT, treatment), (CONTROL, control)):
            sent = now if group == TREATMENT else None
            s.add_all(
                CampaignMember(
                    tenant_id=ctx.tenant_id,
                    campaign_id=c.id,
                    customer_id=cid,
                    member_group=group,
                    assigned_at=now,
                    sent_at=sent,
                )
                for cid in ids
            )
        s.flush()
        return Assignment(
            campaign=c.code,
            treatment=len(treatment),
            control=len(control),
            already_assigned=len(wanted & taken),
            seed=used_seed,
            control_share=share,
            sent_at=now,
            control_ids=tuple(control),
        )


def active_customer_ids(uow: UnitOfWork, *, ctx: BusinessContext) -> list[int]:
    """Every active customer of the business: the audience of "send to everyone"."""
    with uow:
        return list(
            uow.session.scalars(
                select(Customer.id)
                .where(Customer.tenant_id == ctx.tenant_id, Customer.status == "active")
                .order_by(Customer.id)
            )
        )
