"""Erasure: a customer's personal data goes, the books stay.

What is removed: names (the display name becomes "Erased customer #<id>"), phones, e-mails,
addresses, notes, contacts of a company (with their phones and e-mails), consent history, tags
and interests, birthday and company birthday, language, region, income band, the import
fingerprint, stored analytics scores and key-account flags; the external id is replaced by a
random token; free text on the customer's order history (status notes, delivery locations) and
on their merge records is blanked, and the API's stored answers quoting them are scrubbed
(services/privacy/copies.py). Customers merged into this one earlier are erased with it:
they are the same person.

What stays, unchanged: orders, order lines and totals, the loyalty ledger (entries, postings,
lots, balances, rewards), voucher uses, referrals, rebates and campaign groups — all linked to
the now anonymous customer id, so revenue, ledger checks and every aggregate figure are the
same after an erasure as before. Loyalty cards stay as ledger history but are blocked.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    SQLColumnExpression,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from regulars.domain.errors import Conflict, ValidationError
from regulars.domain.names import name_key
from regulars.services.audit import record_event
from regulars.services.context import BusinessContext
from regulars.services.customer_records import load_customer
from regulars.services.privacy.copies import identifying_values, scrub_stored_answers
from regulars.store.analytics_tables import CustomerScore, KeyAccountFlag
from regulars.store.loyalty_tables import LoyaltyCard, LoyaltyEntry, LoyaltyMember
from regulars.store.message_tables import OutboxMessage
from regulars.store.tables import (
    Address,
    Consent,
    Contact,
    Customer,
    CustomerMerge,
    CustomerTag,
    Email,
    Note,
    Order,
    OrderStatusChange,
    Phone,
)
from regulars.store.uow import UnitOfWork

ERASED = "erased"
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class ErasureResult:
    """What an erasure did. `already_erased`: nothing was left to remove (a repeat is fine)."""

    customer_id: int
    already_erased: bool
    display_name: str
    erased_at: datetime
    removed: dict[str, int] = field(default_factory=dict)  # phones, emails, notes… counted
    cards_blocked: int = 0
    merged_customers: tuple[int, ...] = ()  # customers merged into this one, erased with it
    kept: dict[str, int] = field(default_factory=dict)  # orders, cards, ledger entries


def erased_name(customer_id: int) -> str:
    return f"Erased customer #{customer_id}"


def clean_reason(reason: str | None) -> str | None:
    text = " ".join((reason or "").split())
    if len(text) > MAX_REASON:
        raise ValidationError(f"the reason is longer than {MAX_REASON} characters", field="reason")
    return text or None


def erase_customer(
    uow: UnitOfWork, ctx: BusinessContext, customer_id: int, reason: str | None = None
) -> ErasureResult:
    """Erase customer `customer_id` of this business (NotFound for any other), audited.

    A customer merged into another is refused (Conflict): its data lives on the survivor,
    erase that one. Erasing an erased customer again changes nothing and says so.
    """
    why = clean_reason(reason)
    with uow.locking() as w:
        s = w.session
        result = erase_in(s, ctx, customer_id, why)
        record_event(
            s,
            ctx,
            action="customer.erase",
            target_kind="customer",
            target_id=customer_id,
            detail=audit_detail(result, why),
        )
        return result


def audit_detail(result: ErasureResult, reason: str | None) -> dict[str, object]:
    """Counts and ids only: the audit log must not keep what the erasure removed."""
    return {
        "reason": reason,
        "already_erased": result.already_erased,
        "removed": result.removed,
        "cards_blocked": result.cards_blocked,
        "merged_customers": list(result.merged_customers),
    }


def erase_in(
    s: Session, ctx: BusinessContext, customer_id: int, reason: str | None
) -> ErasureResult:
    """The erasure inside the caller's transaction (no audit row: the caller writes it)."""
    now = datetime.now(UTC)
    c = load_customer(s, ctx, customer_id)
    if c.status == "merged":
        raise Conflict(
            f"customer {customer_id} was merged into customer {c.merged_into_id}: "
            f"erase customer {c.merged_into_id}, which holds its data"
        )
    t = ctx.tenant_id
    ids = _with_merged(s, t, c.id)
    merged = tuple(i for i in ids if i != c.id)
    copies = identifying_values(s, t, ids)
    removed = _remove_personal_data(s, t, ids)
    removed["api_answers"] = scrub_stored_answers(s, t, copies)
    stubs = list(s.scalars(select(Customer).where(Customer.tenant_id == t, Customer.id.in_(ids))))
    for row in stubs:
        if _pseudonymise(row, now):
            removed["pseudonymised_customers"] = removed.get("pseudonymised_customers", 0) + 1
    cards_blocked = _count(
        s,
        update(LoyaltyCard)
        .where(
            LoyaltyCard.tenant_id.in_(card_owners(s, t)),
            LoyaltyCard.customer_id.in_(ids),
            LoyaltyCard.status == "active",
        )
        .values(status="blocked", status_changed_at=now)
        .execution_options(synchronize_session=False),
    )
    removed = {k: n for k, n in sorted(removed.items()) if n}
    s.flush()
    return ErasureResult(
        customer_id=c.id,
        already_erased=not removed and not cards_blocked,
        display_name=c.display_name,
        erased_at=now,
        removed=removed,
        cards_blocked=cards_blocked,
        merged_customers=merged,
        kept=_kept(s, t, ids),
    )


def _with_merged(s: Session, t: int, cid: int) -> list[int]:
    """The customer and every customer merged into it, directly or through a chain.

    Read from the merge records (few, and each names its survivor at the time) rather than
    from customers.merged_into_id, which has no index."""
    ids, frontier = [cid], [cid]
    while frontier:
        frontier = list(
            s.scalars(
                select(CustomerMerge.merged_id)
                .where(CustomerMerge.tenant_id == t, CustomerMerge.survivor_id.in_(frontier))
                .order_by(CustomerMerge.merged_id)
            )
        )
        frontier = [i for i in frontier if i not in ids]
        ids += frontier
    return ids


def card_owners(s: Session, t: int) -> list[int]:
    """The tenants whose ledgers may hold this business's customers' cards: its own and those
    of the coalition programs it is a member of (a card belongs to the program's owner)."""
    owners = set(s.scalars(select(LoyaltyMember.tenant_id).where(LoyaltyMember.business_id == t)))
    return sorted(owners | {t})


def _count(s: Session, stmt: Executable) -> int:
    """Rows a bulk UPDATE or DELETE touched."""
    return int(getattr(s.execute(stmt), "rowcount", 0) or 0)


def _tenant(column: SQLColumnExpression[int], t: int) -> ColumnElement[bool]:
    """The tenant filter, written so that SQLite (which keeps no statistics) does not pick the
    tenant_id index — every row of the business — over the customer_id index."""
    return (column + 0) == t


def _remove_personal_data(s: Session, t: int, ids: Sequence[int]) -> dict[str, int]:
    """Delete what is only personal data; blank the free text on records that must stay."""
    opts = {"synchronize_session": False}
    n: dict[str, int] = {}

    def gone(name: str, model: type[Any], *where: ColumnElement[bool]) -> None:
        n[name] = _count(s, delete(model).where(*where).execution_options(**opts))

    # Phones, e-mails and consents of the customer's contacts carry the customer's id too, so
    # they go before the contacts they point to.
    gone("phones", Phone, _tenant(Phone.tenant_id, t), Phone.customer_id.in_(ids))
    gone("emails", Email, _tenant(Email.tenant_id, t), Email.customer_id.in_(ids))
    gone("consents", Consent, _tenant(Consent.tenant_id, t), Consent.customer_id.in_(ids))
    gone("contacts", Contact, _tenant(Contact.tenant_id, t), Contact.customer_id.in_(ids))
    gone("addresses", Address, _tenant(Address.tenant_id, t), Address.customer_id.in_(ids))
    gone("tags", CustomerTag, _tenant(CustomerTag.tenant_id, t), CustomerTag.customer_id.in_(ids))
    gone("notes", Note, _tenant(Note.tenant_id, t), Note.customer_id.in_(ids))
    # Messages quote the name and address; sent or not, they go (unsent ones are not sent).
    gone(
        "messages",
        OutboxMessage,
        OutboxMessage.tenant_id == t,
        OutboxMessage.customer_id.in_(ids),
    )
    gone(
        "analytics_scores",
        CustomerScore,
        CustomerScore.tenant_id == t,
        CustomerScore.customer_id.in_(ids),
    )
    gone(
        "key_account_flags",
        KeyAccountFlag,
        KeyAccountFlag.tenant_id == t,
        KeyAccountFlag.customer_id.in_(ids),
    )
    # The order history keeps every status and time; its free text may say where the person
    # lives or what they said, so it goes.
    # The orders are this business's (tenant-filtered here); filtering the history by tenant
    # as well would make SQLite walk the whole tenant's history instead of the order_id index.
    orders = select(Order.id).where(Order.tenant_id == t, Order.customer_id.in_(ids))
    n["order_history_texts"] = _count(
        s,
        update(OrderStatusChange)
        .where(
            OrderStatusChange.order_id.in_(orders),
            or_(OrderStatusChange.note.is_not(None), OrderStatusChange.location.is_not(None)),
        )
        .values(note=None, location=None)
        .execution_options(**opts),
    )
    # Merge records keep who was merged into whom and how many records moved, nothing else:
    # their details quote the names, phones and e-mails of both sides.
    merges = s.scalars(
        select(CustomerMerge).where(
            CustomerMerge.tenant_id == t,
            or_(CustomerMerge.survivor_id.in_(ids), CustomerMerge.merged_id.in_(ids)),
        )
    )
    scrubbed = 0
    for m in merges:
        details = {"moved": m.details.get("moved", {}), "erased": True}
        if m.reason is not None or m.details != details:
            m.reason, m.details = None, details
            scrubbed += 1
    n["merge_records"] = scrubbed
    return n


_BLANKED = (
    "family_name",
    "given_name",
    "middle_name",
    "patronymic",
    "legal_name",
    "language",
    "birthday",
    "founded_on",
    "region",
    "income_band",
    "potential",
    "import_hash",
    "import_batch_id",
)


def _pseudonymise(c: Customer, now: datetime) -> bool:
    """Blank the customer's own fields; True when anything was still there to remove."""
    name = erased_name(c.id)
    changed = c.display_name != name or any(getattr(c, f) is not None for f in _BLANKED)
    changed = changed or (c.external_id is not None and not c.external_id.startswith("erased-"))
    if not changed and c.status == ERASED:
        return False
    c.display_name = name
    c.name_key = name_key(name)
    for f in _BLANKED:
        setattr(c, f, None)
    if c.external_id is not None and not c.external_id.startswith("erased-"):
        # Unique per business, unguessable, and no way back to the other system's id.
        c.external_id = "erased-" + secrets.token_hex(12)
    c.status = ERASED
    c.updated_at = now
    return changed


def _kept(s: Session, t: int, ids: Sequence[int]) -> dict[str, int]:
    """What stays (for the report): orders, cards and the ledger entries on those cards."""
    orders = s.scalar(select(func.count()).where(Order.tenant_id == t, Order.customer_id.in_(ids)))
    cards = select(LoyaltyCard.id).where(
        LoyaltyCard.tenant_id.in_(card_owners(s, t)), LoyaltyCard.customer_id.in_(ids)
    )
    n_cards = s.scalar(select(func.count()).select_from(cards.subquery()))
    entries = s.scalar(select(func.count()).where(LoyaltyEntry.card_id.in_(cards)))
    return {"orders": orders or 0, "cards": n_cards or 0, "ledger_entries": entries or 0}
