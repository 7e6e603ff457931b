"""Today's personal occasions in a business: whose birthday, founding day or first-deal
anniversary it is, on the business's local calendar day (the daily job greets them)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import extract, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from regulars.domain.customers import CustomerKind
from regulars.domain.occasions import Occasion, OccasionKind, comes_round, month_days
from regulars.services.context import BusinessContext
from regulars.store.tables import Contact, Customer
from regulars.store.uow import UnitOfWork


def _on(column: Any, today: date) -> ColumnElement[bool]:
    """The stored date's month and day are among today's (EXTRACT works on both databases)."""
    return tuple_(extract("month", column), extract("day", column)).in_(month_days(today))


def occasions_on(s: Session, ctx: BusinessContext, today: date) -> list[Occasion]:
    """Every occasion of active customers and their contacts that comes round `today`."""
    t = ctx.tenant_id
    active = (Customer.tenant_id == t, Customer.status == "active")
    found: list[Occasion] = []
    checks: list[tuple[OccasionKind, Any, ColumnElement[bool]]] = [
        (OccasionKind.BIRTHDAY, Customer.birthday, Customer.kind == CustomerKind.PERSON.value),
        (
            OccasionKind.COMPANY_ANNIVERSARY,
            Customer.founded_on,
            Customer.kind == CustomerKind.COMPANY.value,
        ),
        (OccasionKind.FIRST_DEAL_ANNIVERSARY, Customer.first_deal_on, Customer.id.is_not(None)),
    ]
    for kind, column, which in checks:
        rows = s.execute(
            select(Customer.id, column).where(*active, which, _on(column, today))
        ).all()
        for cid, when in rows:
            years = comes_round(when, today)
            if years is not None:
                found.append(Occasion(kind, cid, None, years))
    contacts = s.execute(
        select(Contact.customer_id, Contact.id, Contact.birthday)
        .join(Customer, Customer.id == Contact.customer_id)
        .where(*active, Contact.tenant_id == t, _on(Contact.birthday, today))
    ).all()
    for cid, contact_id, when in contacts:
        years = comes_round(when, today) if when is not None else None
        if years is not None:
            found.append(Occasion(OccasionKind.BIRTHDAY, cid, contact_id, years))
    return sorted(found, key=lambda o: (o.customer_id, o.contact_id or 0, o.kind))


def todays_occasions(uow: UnitOfWork, *, ctx: BusinessContext, today: date) -> list[Occasion]:
    with uow:
        return occasions_on(uow.session, ctx, today)
