"""The ledger on real databases: the documents' example, idempotency, refunds, cancels, cards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from regulars.bootstrap import App
from regulars.domain.errors import DomainError
from regulars.domain.loyalty.cards import make_number
from regulars.domain.loyalty.errors import (
    CardBlocked,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidAmount,
    RefundExceedsOrder,
    UnknownCard,
)
from regulars.services import loyalty as svc
from regulars.services.context import BusinessContext
from regulars.store.loyalty_tables import LoyaltyBalance, LoyaltyEntry, LoyaltyPosting
from tests.fixtures.loyalty import bearer_card, funded_card

D = Decimal


def entries(app: App) -> int:
    with app.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(LoyaltyEntry)) or 0


def balance(app: App, ctx: BusinessContext, card: str) -> tuple[Decimal, Decimal]:
    b = svc.card_balance(app.uow(), ctx=ctx, number=card)
    return b.available, b.pending


def assert_books_hold(app: App, ctx: BusinessContext) -> None:
    report = svc.verify_ledger(app.uow(), ctx=ctx)
    assert report.ok, report.problems


def test_documents_example_cashback_waits_for_payment_then_pays_the_next_purchase(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    card = bearer_card(app, ctx)
    got = svc.accrue(
        app.uow(),
        ctx=ctx,
        card=card,
        order="A-1",
        amount="5000",
        pending=True,
        idempotency_key="till-1",
    )
    assert got.earned == D("250.00") and got.pending
    assert balance(app, ctx, card) == (D("0.00"), D("250.00"))
    with pytest.raises(InsufficientBalance):  # not before the purchase is paid
        svc.redeem(app.uow(), ctx=ctx, card=card, amount="250", order="A-2")

    paid = svc.mark_paid(app.uow(), ctx=ctx, order="A-1")
    assert paid.made_available == D("250.00")
    assert balance(app, ctx, card) == (D("250.00"), D("0.00"))
    again = svc.mark_paid(app.uow(), ctx=ctx, order="A-1")
    assert again.made_available == 0 and balance(app, ctx, card) == (D("250.00"), D("0.00"))

    spent = svc.redeem(app.uow(), ctx=ctx, card=card, amount="200", order="A-2")
    assert spent.available == D("50.00")
    assert balance(app, ctx, card) == (D("50.00"), D("0.00"))
    assert_books_hold(app, ctx)


def test_the_same_key_returns_the_first_result_and_another_request_is_refused(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    card = funded_card(app, ctx, "300")
    first = svc.redeem(app.uow(), ctx=ctx, card=card, amount="100", order="B", idempotency_key="k")
    n = entries(app)
    again = svc.redeem(app.uow(), ctx=ctx, card=card, amount="100", order="B", idempotency_key="k")
    assert again.replayed and not first.replayed
    assert (again.entry_id, again.available) == (first.entry_id, D("200.00"))
    with pytest.raises(IdempotencyConflict) as refused:
        svc.redeem(app.uow(), ctx=ctx, card=card, amount="150", order="B", idempotency_key="k")
    assert refused.value.code == "idempotency_conflict"
    assert entries(app) == n and balance(app, ctx, card)[0] == D("200.00")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"amount": "-5"}, InvalidAmount),
        ({"amount": "0"}, InvalidAmount),
        ({"amount": "abc"}, InvalidAmount),
        ({"amount": "1.001"}, InvalidAmount),
        ({"amount": "10", "currency": "USD"}, CurrencyMismatch),
        ({"amount": "10", "card": make_number("999999", 1)}, UnknownCard),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    app: App,
    ctx: BusinessContext,
    program: svc.ProgramInfo,
    kwargs: dict[str, str],
    error: type[DomainError],
) -> None:
    card = bearer_card(app, ctx)
    n = entries(app)
    args = {"card": card, "order": "X", **kwargs}
    with pytest.raises(error):
        svc.accrue(app.uow(), ctx=ctx, idempotency_key="bad", **args)
    with pytest.raises(error):
        svc.redeem(app.uow(), ctx=ctx, idempotency_key="bad2", **args)
    assert entries(app) == n


def test_partial_refunds_reverse_in_proportion_and_never_exceed_the_order(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    card = funded_card(app, ctx, "100")
    svc.redeem(app.uow(), ctx=ctx, card=card, amount="100", order="R", order_total="5000")
    svc.accrue(app.uow(), ctx=ctx, card=card, order="R", amount="4900")  # earns 245
    assert balance(app, ctx, card)[0] == D("245.00")
    half = svc.refund(app.uow(), ctx=ctx, order="R", amount="2450", idempotency_key="r1")
    assert (half.reversed, half.given_back, half.unrecovered) == (D("122.50"), D("50.00"), 0)
    assert balance(app, ctx, card)[0] == D("172.50")
    with pytest.raises(RefundExceedsOrder):
        svc.refund(app.uow(), ctx=ctx, order="R", amount="2451", idempotency_key="r2")
    rest = svc.refund(app.uow(), ctx=ctx, order="R", idempotency_key="r3")
    assert (rest.reversed, rest.given_back, rest.refunded_total) == (
        D("122.50"),
        D("50.00"),
        D("4900.00"),
    )
    # back to exactly what the card held before the order: nothing created, nothing lost
    assert balance(app, ctx, card)[0] == D("100.00")
    with pytest.raises(RefundExceedsOrder):
        svc.refund(app.uow(), ctx=ctx, order="R", idempotency_key="r4")
    assert_books_hold(app, ctx)


def test_a_refund_after_the_cashback_was_spent_never_goes_negative(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    card = bearer_card(app, ctx)
    svc.accrue(app.uow(), ctx=ctx, card=card, order="S", amount="1000")  # 50
    svc.redeem(app.uow(), ctx=ctx, card=card, amount="40", order="T")
    got = svc.refund(app.uow(), ctx=ctx, order="S", idempotency_key="s")
    assert (got.reversed, got.unrecovered) == (D("10.00"), D("40.00"))
    assert balance(app, ctx, card) == (D("0.00"), D("0.00"))
    assert_books_hold(app, ctx)


def test_a_cancel_before_payment_releases_pending_and_returns_what_was_redeemed(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    card = funded_card(app, ctx, "30")
    svc.redeem(app.uow(), ctx=ctx, card=card, amount="30", order="C")
    svc.accrue(app.uow(), ctx=ctx, card=card, order="C", amount="970", pending=True)
    assert balance(app, ctx, card) == (D("0.00"), D("48.50"))
    out = svc.cancel_order(app.uow(), ctx=ctx, order="C")
    assert (out.released, out.given_back) == (D("48.50"), D("30.00"))
    assert balance(app, ctx, card) == (D("30.00"), D("0.00"))
    assert svc.mark_paid(app.uow(), ctx=ctx, order="C").made_available == 0
    assert_books_hold(app, ctx)


def test_a_lost_card_is_blocked_then_replaced_with_its_balance_and_pending(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    card = funded_card(app, ctx, "20")
    svc.accrue(app.uow(), ctx=ctx, card=card, order="P", amount="100", pending=True)
    assert svc.block_card(app.uow(), ctx=ctx, number=card).status == "blocked"
    with pytest.raises(CardBlocked):
        svc.redeem(app.uow(), ctx=ctx, card=card, amount="1", order="Q")
    moved = svc.replace_card(app.uow(), ctx=ctx, number=card)
    assert (moved.moved_available, moved.moved_pending) == (D("20.00"), D("5.00"))
    assert balance(app, ctx, card) == (D("0.00"), D("0.00"))
    assert balance(app, ctx, moved.new) == (D("20.00"), D("5.00"))
    (old,) = svc.find_cards(app.uow(), ctx=ctx, number=card)
    assert (old.status, old.replaced_by) == ("replaced", moved.new)
    svc.mark_paid(app.uow(), ctx=ctx, order="P")  # the pending value follows to the new card
    assert balance(app, ctx, moved.new) == (D("25.00"), D("0.00"))
    svc.redeem(app.uow(), ctx=ctx, card=moved.new, amount="25", order="Q")
    assert_books_hold(app, ctx)


def test_lots_expire_oldest_first_and_are_announced_before(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    card = bearer_card(app, ctx)
    long_ago = datetime.now(UTC) - timedelta(days=380)
    svc.accrue(app.uow(), ctx=ctx, card=card, order="OLD", amount="200", at=long_ago)  # 10
    svc.accrue(app.uow(), ctx=ctx, card=card, order="NEW", amount="400")  # 20
    svc.redeem(app.uow(), ctx=ctx, card=card, amount="4", order="U")  # eats the old lot first
    soon = svc.expiring_soon(app.uow(), ctx=ctx, days=0)
    assert [(v.number, v.amount) for v in soon] == [(card, D("6.00"))]
    run = svc.expire_lots(app.uow(), ctx=ctx)
    assert [(c.number, c.expired) for c in run.cards] == [(card, D("6.00"))]
    assert balance(app, ctx, card)[0] == D("20.00")
    assert svc.expire_lots(app.uow(), ctx=ctx).cards == ()  # a second run finds nothing
    assert_books_hold(app, ctx)


def test_tiers_upgrade_at_once_on_spend(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    card = bearer_card(app, ctx)
    assert svc.card_balance(app.uow(), ctx=ctx, number=card).tier == "basic"
    got = svc.accrue(app.uow(), ctx=ctx, card=card, order="BIG", amount="20000")
    assert got.tier == "gold"
    assert svc.card_balance(app.uow(), ctx=ctx, number=card).tier == "gold"
    q = svc.quote(app.uow(), ctx=ctx, card=card, basket=[("TEA", "2", "50.00")])
    assert (q.discount, q.to_pay, q.earn) == (D("10.00"), D("90.00"), D("4.50"))
    assert entries(app) == 1  # the quote wrote nothing


def test_verify_finds_a_tampered_balance(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    funded_card(app, ctx, "10")
    with app.uow() as uow:
        uow.session.execute(
            update(LoyaltyBalance).values(balance_minor=LoyaltyBalance.balance_minor + 1)
        )
    report = svc.verify_ledger(app.uow(), ctx=ctx)
    assert not report.ok
    assert {p.code for p in report.problems} >= {"balance_mismatch"}
    with app.uow() as uow:
        total = uow.session.scalar(select(func.sum(LoyaltyPosting.amount_minor)))
    assert total == 0  # the postings themselves still balance
