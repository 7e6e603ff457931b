"""Coalitions, the order lifecycle hook, and finding cards: what partners and staff see."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from regulars.bootstrap import App
from regulars.domain.loyalty.errors import UnknownCard
from regulars.services import loyalty as svc
from regulars.services.context import BusinessContext
from regulars.services.orders import change_order_status
from tests.fixtures.customers import make_order, make_person
from tests.fixtures.loyalty import bearer_card

D = Decimal


def test_points_earned_at_one_member_and_spent_at_another_are_settled(
    app: App, ctx: BusinessContext, partner: BusinessContext, program: svc.ProgramInfo
) -> None:
    member = svc.add_member(app.uow(), ctx=ctx, program="CLUB", business=partner.slug)
    assert member.role == "partner"
    customer = make_person(app, ctx, phones=["0901234567"])
    card = svc.issue_card(app.uow(), ctx=ctx, program="CLUB", customer=customer.id).number
    svc.accrue(app.uow(), ctx=ctx, card=card, order="GYM-1", amount="2000")  # 100 at the owner
    seen = svc.card_balance(app.uow(), ctx=partner, number=card)  # the partner sees the balance…
    assert seen.available == D("100.00")
    (info,) = svc.find_cards(app.uow(), ctx=partner, number=card)
    assert info.customer_id is None  # …and nothing of the customer's dossier
    svc.redeem(app.uow(), ctx=partner, card=card, amount="60", order="SHOP-9")
    svc.accrue(app.uow(), ctx=partner, card=card, order="SHOP-9", amount="200")  # 10 at partner
    svc.redeem(app.uow(), ctx=ctx, card=card, amount="45", order="GYM-2")  # 40 own + 5 partner's

    (st,) = svc.settle(app.uow(), ctx=ctx, period=datetime.now(UTC).strftime("%Y-%m"))
    assert [(x.debtor, x.creditor, x.amount) for x in st.lines] == [
        ("default", "sportshop", D("55.00"))
    ]
    assert st.positions == {"default": D("-55.00"), "sportshop": D("55.00")}
    assert sum(st.positions.values()) == 0
    assert svc.verify_ledger(app.uow(), ctx=ctx).ok


def test_a_business_outside_the_coalition_does_not_see_the_card(
    app: App, ctx: BusinessContext, partner: BusinessContext, program: svc.ProgramInfo
) -> None:
    card = bearer_card(app, ctx)
    with pytest.raises(UnknownCard):
        svc.card_balance(app.uow(), ctx=partner, number=card)


def test_a_card_is_found_by_its_customers_phone(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    customer = make_person(app, ctx, phones=["0901234567"])
    card = svc.issue_card(app.uow(), ctx=ctx, program="CLUB", customer=customer.id)
    found = svc.find_cards(app.uow(), ctx=ctx, phone="090 123 4567")
    assert [(c.number, c.customer_id) for c in found] == [(card.number, customer.id)]


def test_the_order_lifecycle_pays_and_refunds_the_loyalty_entries(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    customer = make_person(app, ctx)
    order = make_order(app, ctx, customer.id, status="placed")
    card = bearer_card(app, ctx)
    svc.accrue(app.uow(), ctx=ctx, card=card, order=str(order), amount="1000", pending=True)
    change_order_status(app.uow(), ctx=ctx, order_id=order, status="paid")
    assert svc.card_balance(app.uow(), ctx=ctx, number=card).available == D("50.00")
    change_order_status(app.uow(), ctx=ctx, order_id=order, status="refunded")
    assert svc.card_balance(app.uow(), ctx=ctx, number=card).available == D("0.00")
    assert svc.verify_ledger(app.uow(), ctx=ctx).ok


def test_an_order_cancelled_before_payment_releases_its_pending_cashback(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    customer = make_person(app, ctx)
    order = make_order(app, ctx, customer.id, status="placed")
    card = bearer_card(app, ctx)
    svc.accrue(app.uow(), ctx=ctx, card=card, order=str(order), amount="1000", pending=True)
    change_order_status(app.uow(), ctx=ctx, order_id=order, status="cancelled")
    b = svc.card_balance(app.uow(), ctx=ctx, number=card)
    assert (b.available, b.pending) == (D("0.00"), D("0.00"))


def test_orders_without_loyalty_entries_change_status_as_before(
    app: App, ctx: BusinessContext
) -> None:
    customer = make_person(app, ctx)
    order = make_order(app, ctx, customer.id, status="placed")
    assert change_order_status(app.uow(), ctx=ctx, order_id=order, status="paid").status == "paid"
