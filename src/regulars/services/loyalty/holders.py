"""Who is at the till: a card by its number, or a customer's own card by their external id.

A till that knows the customer (an app login, a phone look-up) need not ask for the card.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.domain.errors import ValidationError
from regulars.domain.loyalty.errors import UnknownCard
from regulars.services.context import BusinessContext
from regulars.services.loyalty.books import find_card
from regulars.services.order_queries import find_customer
from regulars.store.loyalty_tables import LoyaltyCard, LoyaltyMember, LoyaltyProgram


def check_holder(card: str | None, customer: str | None) -> None:
    """Exactly one of a card number or a customer must name the card (bad input otherwise)."""
    if (card is None) == (customer is None):
        raise ValidationError("give either a card number or a customer", field="card")


def holder_params(card: str | None, customer: str | None, program: str | None) -> dict[str, Any]:
    """The holder's part of a request's fingerprint (by number: as before customers were allowed,
    so stored idempotency keys still match)."""
    if card is not None:
        return {"card": card.strip()}
    return {"customer": (customer or "").strip(), "program": program}


def customer_card(
    s: Session, ctx: BusinessContext, customer: str, program: str | None = None
) -> tuple[LoyaltyCard, LoyaltyProgram]:
    """The customer's active personal card (in `program` when they hold several programs')."""
    person = find_customer(s, tenant_id=ctx.tenant_id, ref=customer.strip())
    query = (
        select(LoyaltyCard, LoyaltyProgram)
        .join(LoyaltyProgram, LoyaltyProgram.id == LoyaltyCard.program_id)
        .join(LoyaltyMember, LoyaltyMember.program_id == LoyaltyProgram.id)
        .where(
            LoyaltyCard.customer_id == person.id,
            LoyaltyCard.tenant_id == ctx.tenant_id,
            LoyaltyCard.status == "active",
            LoyaltyMember.business_id == ctx.tenant_id,
        )
        .order_by(LoyaltyCard.id)
    )
    if program is not None:
        query = query.where(LoyaltyProgram.code == program.strip())
    rows = s.execute(query).all()
    if not rows:
        raise UnknownCard(f"customer {customer} has no active card here", field="customer")
    if len({p.id for _c, p in rows}) > 1:
        raise ValidationError(
            f"customer {customer} has cards in several programs: name the program",
            field="program",
        )
    return rows[-1][0], rows[-1][1]


def holder_card(
    s: Session,
    ctx: BusinessContext,
    *,
    card: str | None,
    customer: str | None,
    program: str | None = None,
) -> tuple[LoyaltyCard, LoyaltyProgram]:
    """The card a request names, by number or by its customer."""
    if card is not None:
        return find_card(s, ctx, card)
    assert customer is not None
    return customer_card(s, ctx, customer, program)
