"""Everything we hold about one customer, as JSON-ready data (a subject access request).

The result is plain dicts, lists, strings, numbers, booleans and None in a fixed key order and
with lists ordered by id or time, so two exports of unchanged data are byte-identical. Money is
`{"amount": "12.30", "currency": "EUR"}`; loyalty values are `{"amount": …, "unit": …}` where
the unit is the program's currency or "points"; dates and times are ISO 8601.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from regulars.domain.money import from_minor
from regulars.services.audit import record_event
from regulars.services.context import BusinessContext
from regulars.services.customer_records import INTEREST, TAG, load_customer
from regulars.services.customer_views import manager_and_department
from regulars.services.loyalty.specs import unit_name, units
from regulars.services.order_queries import plain_quantity
from regulars.services.privacy.erasure import card_owners
from regulars.store.analytics_tables import CustomerScore, KeyAccountFlag
from regulars.store.audit_tables import AuditEvent
from regulars.store.campaign_tables import Campaign, CampaignMember
from regulars.store.loyalty_offer_tables import (
    LoyaltyRebateScheme,
    LoyaltyRebateStatement,
    LoyaltyReferral,
    LoyaltyVoucher,
    LoyaltyVoucherUse,
)
from regulars.store.loyalty_tables import (
    LoyaltyAccount,
    LoyaltyBalance,
    LoyaltyCard,
    LoyaltyEntry,
    LoyaltyLot,
    LoyaltyPosting,
    LoyaltyProgram,
    LoyaltyReward,
    LoyaltyTierChange,
)
from regulars.store.tables import (
    Address,
    Business,
    Consent,
    Contact,
    Customer,
    CustomerMerge,
    CustomerTag,
    Email,
    Note,
    Order,
    OrderLine,
    OrderStatusChange,
    Phone,
    Product,
    StaffUser,
)
from regulars.store.uow import UnitOfWork

EXPORT_FORMAT = "regulars.customer-export/1"
T = TypeVar("T")


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _money(minor: int | None, currency: str) -> dict[str, str] | None:
    if minor is None:
        return None
    return {"amount": str(from_minor(minor, currency)), "currency": currency}


def _value(minor: int | None, p: LoyaltyProgram) -> dict[str, str] | None:
    """A ledger amount in the program's unit (money for cashback, points for points)."""
    if minor is None:
        return None
    return {"amount": str(units(minor, p)), "unit": unit_name(p)}


def _quantity(q: Decimal) -> str:
    return str(plain_quantity(q))


def export_customer(uow: UnitOfWork, ctx: BusinessContext, customer_id: int) -> dict[str, Any]:
    """Everything about customer `customer_id` of this business; NotFound for any other.

    Customers merged into this one are part of it (their records moved here) and are listed
    with their old names and ids. The export itself is written to the audit log.
    """
    with uow:
        s = uow.session
        c = load_customer(s, ctx, customer_id)
        data = _build(s, ctx, c)
        record_event(
            s,
            ctx,
            action="customer.export",
            target_kind="customer",
            target_id=c.id,
            detail={
                "orders": len(data["orders"]),
                "cards": len(data["loyalty"]["cards"]),
                "notes": len(data["notes"]),
            },
        )
        return data


def _build(s: Session, ctx: BusinessContext, c: Customer) -> dict[str, Any]:
    t = ctx.tenant_id
    merged = list(
        s.scalars(
            select(Customer)
            .where(Customer.tenant_id == t, Customer.merged_into_id == c.id)
            .order_by(Customer.id)
        )
    )
    cards = list(
        s.scalars(
            select(LoyaltyCard)
            .where(LoyaltyCard.tenant_id.in_(card_owners(s, t)), LoyaltyCard.customer_id == c.id)
            .order_by(LoyaltyCard.id)
        )
    )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(datetime.now(UTC)),
        "business": ctx.slug,
        "customer": _customer(s, t, c),
        "merged_customers": [
            {
                "id": m.id,
                "external_id": m.external_id,
                "display_name": m.display_name,
                "created_at": _iso(m.created_at),
            }
            for m in merged
        ],
        "merges": _merges(s, t, c.id),
        "notes": _notes(s, t, c.id),
        "contacts": _contacts(s, t, c.id),
        "consents": _consents(s, t, c.id),
        "orders": _orders(s, t, c.id),
        "loyalty": _loyalty(s, c.id, cards),
        "analytics": _analytics(s, t, c.id),
        "campaigns": _campaigns(s, t, c.id),
        "access_log": _access_log(s, t, c.id),
    }


def _customer(s: Session, t: int, c: Customer) -> dict[str, Any]:
    manager, department = manager_and_department(s, t, c)
    tags = s.execute(
        select(CustomerTag.kind, CustomerTag.value)
        .where(CustomerTag.tenant_id == t, CustomerTag.customer_id == c.id)
        .order_by(CustomerTag.kind, CustomerTag.value)
    ).all()
    own = (Phone.tenant_id == t, Phone.customer_id == c.id, Phone.contact_id.is_(None))
    phones = s.scalars(select(Phone).where(*own).order_by(Phone.id))
    own_e = (Email.tenant_id == t, Email.customer_id == c.id, Email.contact_id.is_(None))
    emails = s.scalars(select(Email).where(*own_e).order_by(Email.id))
    addresses = s.scalars(
        select(Address)
        .where(Address.tenant_id == t, Address.customer_id == c.id)
        .order_by(Address.id)
    )
    return {
        "id": c.id,
        "external_id": c.external_id,
        "kind": c.kind,
        "status": c.status,
        "merged_into_id": c.merged_into_id,
        "display_name": c.display_name,
        "family_name": c.family_name,
        "given_name": c.given_name,
        "middle_name": c.middle_name,
        "patronymic": c.patronymic,
        "legal_name": c.legal_name,
        "language": c.language,
        "birthday": _iso(c.birthday),
        "founded_on": _iso(c.founded_on),
        "first_deal_on": _iso(c.first_deal_on),
        "first_deal_set_by_hand": c.first_deal_overridden,
        "manager": {"email": manager[0], "name": manager[1]} if manager else None,
        "department": department,
        "potential": c.potential,
        "region": c.region,
        "income_band": c.income_band,
        "tags": [v for k, v in tags if k == TAG],
        "interests": [v for k, v in tags if k == INTEREST],
        "phones": [{"number": p.e164, "label": p.label, "primary": p.is_primary} for p in phones],
        "emails": [
            {"address": e.address, "label": e.label, "primary": e.is_primary} for e in emails
        ],
        "addresses": [
            {
                "label": a.label,
                "line1": a.line1,
                "line2": a.line2,
                "city": a.city,
                "region": a.region,
                "postal_code": a.postal_code,
                "country": a.country,
            }
            for a in addresses
        ],
        "created_at": _iso(c.created_at),
        "updated_at": _iso(c.updated_at),
    }


def _merges(s: Session, t: int, cid: int) -> list[dict[str, Any]]:
    rows = s.scalars(
        select(CustomerMerge)
        .where(
            CustomerMerge.tenant_id == t,
            or_(CustomerMerge.survivor_id == cid, CustomerMerge.merged_id == cid),
        )
        .order_by(CustomerMerge.merged_at, CustomerMerge.id)
    )
    return [
        {
            "id": m.id,
            "survivor_id": m.survivor_id,
            "merged_id": m.merged_id,
            "merged_at": _iso(m.merged_at),
            "reason": m.reason,
            "details": m.details,
        }
        for m in rows
    ]


def _notes(s: Session, t: int, cid: int) -> list[dict[str, Any]]:
    rows = s.execute(
        select(Note, StaffUser.email)
        .outerjoin(StaffUser, StaffUser.id == Note.author_id)
        .where(Note.tenant_id == t, Note.customer_id == cid)
        .order_by(Note.created_at, Note.id)
    ).all()
    return [
        {
            "id": n.id,
            "created_at": _iso(n.created_at),
            "author": author,
            "kind": n.kind,
            "body": n.body,
        }
        for n, author in rows
    ]


def _contacts(s: Session, t: int, cid: int) -> list[dict[str, Any]]:
    phones: dict[int, list[str]] = defaultdict(list)
    for contact_id, e164 in s.execute(
        select(Phone.contact_id, Phone.e164)
        .where(Phone.tenant_id == t, Phone.customer_id == cid, Phone.contact_id.is_not(None))
        .order_by(Phone.id)
    ):
        phones[contact_id or 0].append(e164)
    emails: dict[int, list[str]] = defaultdict(list)
    for contact_id, address in s.execute(
        select(Email.contact_id, Email.address)
        .where(Email.tenant_id == t, Email.customer_id == cid, Email.contact_id.is_not(None))
        .order_by(Email.id)
    ):
        emails[contact_id or 0].append(address)
    rows = s.scalars(
        select(Contact)
        .where(Contact.tenant_id == t, Contact.customer_id == cid)
        .order_by(Contact.id)
    )
    return [
        {
            "id": k.id,
            "display_name": k.display_name,
            "family_name": k.family_name,
            "given_name": k.given_name,
            "patronymic": k.patronymic,
            "level": k.level,
            "job_title": k.job_title,
            "department": k.department,
            "buying_role": k.buying_role,
            "stance": k.stance,
            "birthday": _iso(k.birthday),
            "language": k.language,
            "phones": phones.get(k.id, []),
            "emails": emails.get(k.id, []),
            "created_at": _iso(k.created_at),
        }
        for k in rows
    ]


def _consents(s: Session, t: int, cid: int) -> list[dict[str, Any]]:
    """The whole history (grants and withdrawals), oldest first, not only what is in force."""
    rows = s.scalars(
        select(Consent)
        .where(Consent.tenant_id == t, Consent.customer_id == cid)
        .order_by(Consent.recorded_at, Consent.id)
    )
    return [
        {
            "id": k.id,
            "contact_id": k.contact_id,
            "channel": k.channel,
            "purpose": k.purpose,
            "granted": k.granted,
            "source": k.source,
            "recorded_at": _iso(k.recorded_at),
        }
        for k in rows
    ]


def _group(rows: Iterable[T], key: Callable[[T], int]) -> dict[int, list[T]]:
    """Rows by an id (orders' lines, cards' lots…), keeping their order."""
    out: dict[int, list[T]] = defaultdict(list)
    for r in rows:
        out[key(r)].append(r)
    return out


def _orders(s: Session, t: int, cid: int) -> list[dict[str, Any]]:
    orders = list(
        s.scalars(
            select(Order)
            .where(Order.tenant_id == t, Order.customer_id == cid)
            .order_by(Order.placed_at, Order.id)
        )
    )
    ids = select(Order.id).where(Order.tenant_id == t, Order.customer_id == cid)
    lines = _group(
        s.execute(
            select(OrderLine, Product)
            .join(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id.in_(ids))  # ids: this business's orders
            .order_by(OrderLine.order_id, OrderLine.line_no)
        ).all(),
        lambda r: r[0].order_id,
    )
    changes = _group(
        s.scalars(
            select(OrderStatusChange)
            .where(OrderStatusChange.order_id.in_(ids))
            .order_by(OrderStatusChange.order_id, OrderStatusChange.at, OrderStatusChange.id)
        ).all(),
        lambda r: r.order_id,
    )
    return [
        {
            "id": o.id,
            "external_id": o.external_id,
            "placed_at": _iso(o.placed_at),
            "status": o.status,
            "status_changed_at": _iso(o.status_changed_at),
            "total": _money(o.total_minor, o.currency),
            "store": o.store,
            "channel": o.channel,
            "lines": [
                {
                    "line_no": line.line_no,
                    "sku": product.sku,
                    "name": product.name,
                    "category": product.category,
                    "quantity": _quantity(line.quantity),
                    "unit_price": _money(line.unit_price_minor, o.currency),
                    "line_total": _money(line.line_total_minor, o.currency),
                }
                for line, product in lines.get(o.id, [])
            ],
            "history": [
                {
                    "from_status": h.from_status,
                    "to_status": h.to_status,
                    "at": _iso(h.at),
                    "note": h.note,
                    "location": h.location,
                }
                for h in changes.get(o.id, [])
            ],
        }
        for o in orders
    ]


def _loyalty(s: Session, cid: int, cards: list[LoyaltyCard]) -> dict[str, Any]:
    """Cards with balances and tier history, the ledger entries that touched them, the lots
    and rewards they earned, vouchers used, referrals and distributor rebates."""
    card_ids = [c.id for c in cards]
    number = {c.id: c.number for c in cards}
    programs: dict[int, LoyaltyProgram] = {}

    def program(pid: int) -> LoyaltyProgram:
        if pid not in programs:
            programs[pid] = s.get_one(LoyaltyProgram, pid)
        return programs[pid]

    accounts = {
        a.id: a
        for a in s.scalars(select(LoyaltyAccount).where(LoyaltyAccount.card_id.in_(card_ids)))
    }
    balances = dict(
        s.execute(
            select(LoyaltyBalance.account_id, LoyaltyBalance.balance_minor).where(
                LoyaltyBalance.account_id.in_(list(accounts))
            )
        ).all()
    )
    held: dict[int, dict[str, int]] = defaultdict(dict)
    for acc_id, acc in accounts.items():
        if acc.card_id is not None:
            held[acc.card_id][acc.kind] = balances.get(acc_id, 0)
    tier_changes = _group(
        s.scalars(
            select(LoyaltyTierChange)
            .where(LoyaltyTierChange.card_id.in_(card_ids))
            .order_by(LoyaltyTierChange.at, LoyaltyTierChange.id)
        ).all(),
        lambda r: r.card_id,
    )
    lots = _group(
        s.scalars(
            select(LoyaltyLot).where(LoyaltyLot.card_id.in_(card_ids)).order_by(LoyaltyLot.id)
        ).all(),
        lambda r: r.card_id,
    )
    rewards = _group(
        s.scalars(
            select(LoyaltyReward)
            .where(LoyaltyReward.card_id.in_(card_ids))
            .order_by(LoyaltyReward.id)
        ).all(),
        lambda r: r.card_id or 0,
    )
    out_cards = []
    for c in cards:
        p = program(c.program_id)
        out_cards.append(
            {
                "number": c.number,
                "program": p.code,
                "kind": c.kind,
                "status": c.status,
                "tier": c.tier,
                "issued_at": _iso(c.issued_at),
                "status_changed_at": _iso(c.status_changed_at),
                "replaced_by": number.get(c.replaced_by_id) if c.replaced_by_id else None,
                "balance": {
                    "available": _value(held[c.id].get("wallet", 0), p),
                    "pending": _value(held[c.id].get("pending", 0), p),
                },
                "tier_history": [
                    {
                        "from_tier": h.from_tier,
                        "to_tier": h.to_tier,
                        "metric_value": h.metric_value,
                        "reason": h.reason,
                        "at": _iso(h.at),
                    }
                    for h in tier_changes.get(c.id, [])
                ],
                "lots": [
                    {
                        "id": lot.id,
                        "order_ref": lot.order_ref,
                        "amount": _value(lot.amount_minor, p),
                        "remaining": _value(lot.remaining_minor, p),
                        "status": lot.status,
                        "earned_at": _iso(lot.earned_at),
                        "expires_at": _iso(lot.expires_at),
                    }
                    for lot in lots.get(c.id, [])
                ],
                "rewards": [
                    {
                        "rule": r.rule,
                        "order_ref": r.order_ref,
                        "amount": _value(r.amount_minor, p),
                        "reason": r.reason,
                        "at": _iso(r.at),
                    }
                    for r in rewards.get(c.id, [])
                ],
            }
        )
    return {
        "cards": out_cards,
        "entries": _entries(s, card_ids, accounts, number, program),
        "voucher_uses": _voucher_uses(s, cid, card_ids, program),
        "referrals": _referrals(s, cid, program),
        "rebate_schemes": _rebate_schemes(s, cid, program),
        "rebate_statements": _rebate_statements(s, cid, program),
    }


def _entries(
    s: Session,
    card_ids: list[int],
    accounts: dict[int, LoyaltyAccount],
    number: dict[int, str],
    program: Any,
) -> list[dict[str, Any]]:
    """Every journal entry naming one of the cards or posting to one of their accounts, with
    the lines on the customer's own accounts (the business's side stays out)."""
    touched = select(LoyaltyPosting.entry_id).where(LoyaltyPosting.account_id.in_(list(accounts)))
    entries = list(
        s.scalars(
            select(LoyaltyEntry)
            .where(or_(LoyaltyEntry.card_id.in_(card_ids), LoyaltyEntry.id.in_(touched)))
            .order_by(LoyaltyEntry.at, LoyaltyEntry.id)
        )
    )
    postings = _group(
        s.scalars(
            select(LoyaltyPosting)
            .where(
                LoyaltyPosting.entry_id.in_([e.id for e in entries]),
                LoyaltyPosting.account_id.in_(list(accounts)),
            )
            .order_by(LoyaltyPosting.id)
        ).all(),
        lambda r: r.entry_id,
    )
    out = []
    for e in entries:
        p = program(e.program_id)
        out.append(
            {
                "id": e.id,
                "program": p.code,
                "kind": e.kind,
                "at": _iso(e.at),
                "card": number.get(e.card_id) if e.card_id else None,
                "order_ref": e.order_ref,
                "order_amount": _money(e.order_amount_minor, p.currency),
                "postings": [
                    {
                        "card": number.get(accounts[x.account_id].card_id or 0),
                        "account": accounts[x.account_id].kind,
                        "amount": _value(x.amount_minor, p),
                    }
                    for x in postings.get(e.id, [])
                ],
            }
        )
    return out


def _voucher_uses(s: Session, cid: int, card_ids: list[int], program: Any) -> list[Any]:
    rows = s.execute(
        select(LoyaltyVoucherUse, LoyaltyVoucher)
        .join(LoyaltyVoucher, LoyaltyVoucher.id == LoyaltyVoucherUse.voucher_id)
        .where(or_(LoyaltyVoucherUse.customer_id == cid, LoyaltyVoucherUse.card_id.in_(card_ids)))
        .order_by(LoyaltyVoucherUse.at, LoyaltyVoucherUse.id)
    ).all()
    return [
        {
            "voucher": v.code,
            "program": program(v.program_id).code,
            "order_ref": u.order_ref,
            "discount": _money(u.amount_minor, program(v.program_id).currency),
            "at": _iso(u.at),
        }
        for u, v in rows
    ]


def _referrals(s: Session, cid: int, program: Any) -> list[Any]:
    """Whom they brought and who brought them; the other person is named by id only."""
    rows = s.scalars(
        select(LoyaltyReferral)
        .where(or_(LoyaltyReferral.referrer_id == cid, LoyaltyReferral.referee_id == cid))
        .order_by(LoyaltyReferral.created_at, LoyaltyReferral.id)
    )
    return [
        {
            "program": program(r.program_id).code,
            "role": "referrer" if r.referrer_id == cid else "referee",
            "other_customer_id": r.referee_id if r.referrer_id == cid else r.referrer_id,
            "created_at": _iso(r.created_at),
            "rewarded_at": _iso(r.rewarded_at),
        }
        for r in rows
    ]


def _rebate_schemes(s: Session, cid: int, program: Any) -> list[Any]:
    rows = s.scalars(
        select(LoyaltyRebateScheme)
        .where(LoyaltyRebateScheme.customer_id == cid)
        .order_by(LoyaltyRebateScheme.id)
    )
    return [
        {
            "program": program(r.program_id).code,
            "kind": r.kind,
            "brackets": r.brackets,
            "mode": r.mode,
            "per_unit": r.per_unit,
            "per_order": r.per_order,
            "period_kind": r.period_kind,
            "created_at": _iso(r.created_at),
        }
        for r in rows
    ]


def _rebate_statements(s: Session, cid: int, program: Any) -> list[Any]:
    rows = s.execute(
        select(LoyaltyRebateStatement, LoyaltyRebateScheme.program_id)
        .join(LoyaltyRebateScheme, LoyaltyRebateScheme.id == LoyaltyRebateStatement.scheme_id)
        .where(LoyaltyRebateStatement.customer_id == cid)
        .order_by(LoyaltyRebateStatement.period, LoyaltyRebateStatement.id)
    ).all()
    return [
        {
            "program": program(pid).code,
            "period": r.period,
            "volume": _money(r.volume_minor, program(pid).currency),
            "orders": r.orders,
            "rebate": _value(r.rebate_minor, program(pid)),
            "created_at": _iso(r.created_at),
        }
        for r, pid in rows
    ]


def _analytics(s: Session, t: int, cid: int) -> dict[str, Any]:
    """The stored scores (profiling the customer may ask about) and key-account flags."""
    score = s.scalar(
        select(CustomerScore).where(CustomerScore.tenant_id == t, CustomerScore.customer_id == cid)
    )
    flags = s.scalars(
        select(KeyAccountFlag)
        .where(KeyAccountFlag.tenant_id == t, KeyAccountFlag.customer_id == cid)
        .order_by(KeyAccountFlag.id)
    )
    return {
        "score": None
        if score is None
        else {
            "as_of": _iso(score.as_of),
            "computed_at": _iso(score.computed_at),
            "segment": score.segment,
            "value_band": score.value_band,
            "r_score": score.r_score,
            "f_score": score.f_score,
            "m_score": score.m_score,
            "recency_days": score.recency_days,
            "frequency": score.frequency,
            "monetary": _money(score.monetary_minor, _currency(s, t)),
            "loyalty_score": score.loyalty_score,
            "p_alive": score.p_alive,
            "expected_purchases_12m": score.expected_purchases_12m,
            "clv_12m": _money(score.clv_minor, _currency(s, t)),
        },
        "key_account_flags": [
            {"kind": f.kind, "note": f.note, "flagged_at": _iso(f.flagged_at)} for f in flags
        ],
    }


def _currency(s: Session, t: int) -> str:
    return s.get_one(Business, t).default_currency


def _campaigns(s: Session, t: int, cid: int) -> list[dict[str, Any]]:
    rows = s.execute(
        select(CampaignMember, Campaign)
        .join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .where(CampaignMember.tenant_id == t, CampaignMember.customer_id == cid)
        .order_by(CampaignMember.assigned_at, CampaignMember.id)
    ).all()
    return [
        {
            "code": k.code,
            "name": k.name,
            "kind": k.kind,
            "group": m.member_group,
            "assigned_at": _iso(m.assigned_at),
            "sent_at": _iso(m.sent_at),
        }
        for m, k in rows
    ]


def _access_log(s: Session, t: int, cid: int) -> list[dict[str, Any]]:
    """Who-looked-at-what, as far as it concerns this customer: when, what and from where
    (the staff member's identity is the business's data, not the customer's)."""
    rows = s.execute(
        select(AuditEvent.at, AuditEvent.action, AuditEvent.source)
        .where(
            AuditEvent.tenant_id == t,
            AuditEvent.target_kind == "customer",
            AuditEvent.target_id == cid,
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return [{"at": _iso(at), "action": action, "source": source} for at, action, source in rows]
