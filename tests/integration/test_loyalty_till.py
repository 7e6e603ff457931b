"""The till's hot path (services/loyalty/till.py): cached program specs, order history, replays."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from regulars.bootstrap import App
from regulars.domain.loyalty.errors import (
    CardBlocked,
    IdempotencyConflict,
    InsufficientBalance,
    UnknownCard,
)
from regulars.domain.loyalty.program import ProgramSpec, RuleSpec
from regulars.domain.loyalty.rule_errors import RedeemAboveCap
from regulars.services import loyalty as svc
from regulars.services.context import BusinessContext
from regulars.services.loyalty.earning import OrderAlreadyAccrued
from regulars.services.loyalty.specs import rules_to_json
from regulars.store.loyalty_tables import LoyaltyEntry, LoyaltyProgram
from tests.fixtures.loyalty import bearer_card, funded_card

D = Decimal


def _set_rules(app: App, code: str, rules: RuleSpec) -> None:
    """Edit a program's rules in place, as a rules change would (no service edits them yet)."""
    with app.uow() as uow:
        uow.session.execute(
            update(LoyaltyProgram)
            .where(LoyaltyProgram.code == code)
            .values(rules=rules_to_json(rules))
        )


def _flat(app: App, ctx: BusinessContext, code: str, **rules: Decimal) -> None:
    """A cashback program without tiers (so no tier discount) at 5 %."""
    spec = ProgramSpec(code, "EUR", rules=RuleSpec(cashback_percent=D(5), **rules))
    svc.create_program(app.uow(), ctx=ctx, spec=spec)


def test_an_edited_program_earns_by_its_new_rules_at_once(app: App, ctx: BusinessContext) -> None:
    _flat(app, ctx, "FLAT")
    card = bearer_card(app, ctx, "FLAT")
    first = svc.accrue(app.uow(), ctx=ctx, card=card, order="A", amount="100")
    assert first.earned == D("5.00")  # the spec of 5 % is now cached
    _set_rules(app, "FLAT", RuleSpec(cashback_percent=D(8)))
    second = svc.accrue(app.uow(), ctx=ctx, card=card, order="B", amount="100")
    assert second.earned == D("8.00")
    quoted = svc.quote(app.uow(), ctx=ctx, card=card, basket=[("X", 1, "100")])
    assert quoted.earn == D("8.00")
    _set_rules(app, "FLAT", RuleSpec(cashback_percent=D(5)))  # back: the old entry is valid again
    third = svc.accrue(app.uow(), ctx=ctx, card=card, order="C", amount="100")
    assert third.earned == D("5.00")


def test_an_edited_redeem_cap_applies_at_once(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    card = funded_card(app, ctx, "50")
    ok = svc.redeem(app.uow(), ctx=ctx, card=card, order="R1", amount="30", order_total="40")
    assert ok.redeemed == D("30.00")
    _set_rules(app, "CLUB", RuleSpec(cashback_percent=D(5), max_redeem_percent=D(50)))
    with pytest.raises(RedeemAboveCap):
        svc.redeem(app.uow(), ctx=ctx, card=card, order="R2", amount="15", order_total="20")
    done = svc.redeem(app.uow(), ctx=ctx, card=card, order="R3", amount="10", order_total="20")
    assert done.available == D("10.00")


def test_the_repeat_order_discount_counts_the_cards_earlier_orders(
    app: App, ctx: BusinessContext
) -> None:
    _flat(app, ctx, "REP", repeat_order_discount_percent=D(10))
    card = bearer_card(app, ctx, "REP")
    basket = [("X", 1, "100")]
    before = svc.quote(app.uow(), ctx=ctx, card=card, basket=basket)
    assert before.discount == 0
    first = svc.accrue(app.uow(), ctx=ctx, card=card, order="O1", basket=basket)
    assert [r.rule for r in first.rewards if r.rule == "repeat_order"] == []
    after = svc.quote(app.uow(), ctx=ctx, card=card, basket=basket)
    assert after.discount > 0 and any(r.rule == "repeat_order" for r in after.rewards)
    second = svc.accrue(app.uow(), ctx=ctx, card=card, order="O2", basket=basket)
    assert any(r.rule == "repeat_order" for r in second.rewards)
    assert second.earned < first.earned  # earned on the discounted total


def test_a_redemption_retried_after_the_balance_went_gets_its_first_answer(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    card = funded_card(app, ctx, "10")
    first = svc.redeem(app.uow(), ctx=ctx, card=card, order="R", amount="10", idempotency_key="k")
    assert not first.replayed
    again = svc.redeem(app.uow(), ctx=ctx, card=card, order="R", amount="10", idempotency_key="k")
    assert again.replayed and again.entry_id == first.entry_id and again.available == D("0.00")
    with pytest.raises(IdempotencyConflict):
        svc.redeem(app.uow(), ctx=ctx, card=card, order="R", amount="9", idempotency_key="k")
    with pytest.raises(InsufficientBalance):
        svc.redeem(app.uow(), ctx=ctx, card=card, order="S", amount="1", idempotency_key="k2")
    svc.block_card(app.uow(), ctx=ctx, number=card)
    blocked_replay = svc.redeem(
        app.uow(), ctx=ctx, card=card, order="R", amount="10", idempotency_key="k"
    )
    assert blocked_replay.replayed
    with pytest.raises(CardBlocked):
        svc.redeem(app.uow(), ctx=ctx, card=card, order="T", amount="1", idempotency_key="k3")
    with app.uow() as uow:
        keyed = select(func.count()).where(LoyaltyEntry.idempotency_key == "k")
        assert uow.session.scalar(keyed) == 1


def test_an_accrual_replays_before_refusing_the_order_twice(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    card = bearer_card(app, ctx)
    first = svc.accrue(app.uow(), ctx=ctx, card=card, order="A", amount="10", idempotency_key="a")
    again = svc.accrue(app.uow(), ctx=ctx, card=card, order="A", amount="10", idempotency_key="a")
    assert again.replayed and again.entry_id == first.entry_id
    with pytest.raises(OrderAlreadyAccrued):
        svc.accrue(app.uow(), ctx=ctx, card=card, order="A", amount="10", idempotency_key="b")


def test_cards_of_programs_the_business_is_not_in_are_unknown(
    app: App, ctx: BusinessContext, partner: BusinessContext, program: svc.ProgramInfo
) -> None:
    card = bearer_card(app, ctx)
    with pytest.raises(UnknownCard):
        svc.accrue(app.uow(), ctx=partner, card=card, order="X", amount="10")
    with pytest.raises(UnknownCard):
        svc.redeem(app.uow(), ctx=partner, card=card, order="X", amount="1")
    with pytest.raises(UnknownCard):
        svc.accrue(app.uow(), ctx=ctx, card="0000000000000000", order="X", amount="10")


def test_a_key_reused_for_another_valid_redemption_is_refused_and_writes_nothing(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    card = funded_card(app, ctx, "10")
    svc.redeem(app.uow(), ctx=ctx, card=card, order="R", amount="1", idempotency_key="z")
    with pytest.raises(IdempotencyConflict):  # found by the unique key on insert, then replayed
        svc.redeem(app.uow(), ctx=ctx, card=card, order="R", amount="2", idempotency_key="z")
    assert svc.card_balance(app.uow(), ctx=ctx, number=card).available == D("9.00")
    with app.uow() as uow:
        keyed = select(func.count()).where(LoyaltyEntry.idempotency_key == "z")
        assert uow.session.scalar(keyed) == 1
