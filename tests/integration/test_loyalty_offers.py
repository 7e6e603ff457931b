"""Vouchers, distributor rebates, bonuses and tier reviews through the ledger, on both databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from regulars.bootstrap import App
from regulars.domain.errors import DomainError
from regulars.domain.loyalty.rule_errors import (
    VoucherAlreadyUsed,
    VoucherCustomerLimit,
    VoucherExpired,
    VoucherMinSpend,
    VoucherNotYetValid,
)
from regulars.domain.loyalty.rules import CustomerFacts
from regulars.domain.loyalty.tiers import add_months
from regulars.services import loyalty as svc
from regulars.services.context import BusinessContext
from regulars.services.loyalty.bonuses import AlreadyReferred, SelfReferral, birthday_facts
from regulars.services.loyalty.rebates import PeriodOpen
from regulars.services.orders import record_order
from regulars.store.loyalty_tables import (
    LoyaltyCard,
    LoyaltyProgram,
    LoyaltyReward,
    LoyaltyTierChange,
)
from tests.fixtures.loyalty_offers import available, card_of, ledger_ok, person

TODAY = datetime.now(UTC).date()


def _voucher(app: App, ctx: BusinessContext, **terms: object) -> str:
    made = svc.create_vouchers(app.uow(), ctx=ctx, program="CLUB", **terms)
    return made[0].code


# --- vouchers ---------------------------------------------------------------------------------


def test_a_single_use_voucher_wins_once_among_ten_racing_tills(
    app: App, ctx: BusinessContext, offers_program: svc.ProgramInfo
) -> None:
    code = _voucher(app, ctx, kind="amount", value="10")
    for i in range(10):
        person(app, ctx, f"R{i}")

    def attempt(i: int) -> str:
        try:
            svc.redeem_voucher(
                app.uow(), ctx=ctx, code=code, order=f"O{i}", order_total="50", customer=f"R{i}"
            )
            return "ok"
        except DomainError as e:
            return e.code

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(attempt, range(10)))
    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} == {VoucherAlreadyUsed.code}
    assert svc.show_voucher(app.uow(), ctx=ctx, code=code).uses == 1
    assert ledger_ok(app, ctx)


def test_voucher_terms_per_customer_validity_and_min_spend(
    app: App, ctx: BusinessContext, offers_program: svc.ProgramInfo
) -> None:
    person(app, ctx, "A")
    person(app, ctx, "B")
    code = _voucher(
        app, ctx, kind="percent", value="10", max_uses=None, per_customer_limit=1, min_spend="40"
    )
    with pytest.raises(VoucherMinSpend):
        svc.redeem_voucher(
            app.uow(), ctx=ctx, code=code, order="O1", order_total="39.99", customer="A"
        )
    used = svc.redeem_voucher(
        app.uow(), ctx=ctx, code=code, order="O1", order_total="80", customer="A",
        idempotency_key="v-1",
    )  # fmt: skip
    assert used.discount == Decimal("8.00") and used.uses_left is None
    again = svc.redeem_voucher(
        app.uow(), ctx=ctx, code=code, order="O1", order_total="80", customer="A",
        idempotency_key="v-1",
    )  # fmt: skip
    assert again.replayed and again.discount == used.discount
    with pytest.raises(VoucherCustomerLimit):
        svc.redeem_voucher(
            app.uow(), ctx=ctx, code=code, order="O2", order_total="80", customer="A"
        )
    assert svc.redeem_voucher(
        app.uow(), ctx=ctx, code=code.lower(), order="O3", order_total="50", customer="B"
    ).discount == Decimal("5.00")
    with app.uow() as uow:
        rules = uow.session.scalars(select(LoyaltyReward.rule)).all()
    assert rules.count(f"voucher:{code}") == 2  # snapshots for the "did it pay off" analysis

    later = _voucher(app, ctx, kind="gift", value="20", valid_from=TODAY + timedelta(days=3),
                     valid_until=TODAY + timedelta(days=10))  # fmt: skip
    with pytest.raises(VoucherNotYetValid):
        svc.redeem_voucher(
            app.uow(), ctx=ctx, code=later, order="O4", order_total="50", customer="B"
        )
    with pytest.raises(VoucherExpired):
        svc.redeem_voucher(
            app.uow(), ctx=ctx, code=later, order="O4", order_total="50", customer="B",
            today=TODAY + timedelta(days=11),
        )  # fmt: skip
    gift = svc.redeem_voucher(
        app.uow(), ctx=ctx, code=later, order="O4", order_total="15", customer="B",
        today=TODAY + timedelta(days=5),
    )  # fmt: skip
    assert gift.discount == Decimal("15")  # never more than the order
    assert ledger_ok(app, ctx)


# --- rebates ----------------------------------------------------------------------------------


def _order(app: App, ctx: BusinessContext, who: str, ext: str, amount: str, day: date,
           status: str = "delivered", qty: str = "1") -> None:  # fmt: skip
    price = str(Decimal(amount) / Decimal(qty))
    record_order(
        app.uow(), ctx=ctx, customer_id=who, lines=[("SKU", qty, price)], currency="EUR",
        placed_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC), status=status,
        external_id=ext,
    )  # fmt: skip


def test_quantitative_rebates_are_credited_once_per_period(
    app: App, ctx: BusinessContext, offers_program: svc.ProgramInfo
) -> None:
    for who in ("D", "E"):
        person(app, ctx, who)
    card_d, card_e = card_of(app, ctx, "D"), card_of(app, ctx, "E")
    brackets = "0:0,1000:2,5000:5"
    svc.define_rebate_scheme(app.uow(), ctx=ctx, program="CLUB", distributor="D", brackets=brackets)
    svc.define_rebate_scheme(
        app.uow(), ctx=ctx, program="CLUB", distributor="E", brackets=brackets, mode="marginal"
    )
    for who in ("D", "E"):
        _order(app, ctx, who, f"{who}1", "3000", date(2026, 10, 3))
        _order(app, ctx, who, f"{who}2", "2500", date(2026, 10, 31))
        _order(app, ctx, who, f"{who}3", "1000", date(2026, 10, 5), status="cancelled")
        _order(app, ctx, who, f"{who}4", "9000", date(2026, 11, 1))  # next period
    with pytest.raises(PeriodOpen):
        svc.run_rebates(app.uow(), ctx=ctx, period="2026-10", today=date(2026, 10, 31))
    run = svc.run_rebates(app.uow(), ctx=ctx, period="2026-10", today=date(2026, 11, 1))
    by = {st.distributor: st for st in run}
    # whole volume: 5 500 reached the 5 000 bracket → 5 % of 5 500
    assert (by["D"].volume, by["D"].orders, by["D"].rebate) == (
        Decimal("5500.00"),
        2,
        Decimal("275.00"),
    )
    # marginal: 2 % of 4 000 (1 000–5 000) + 5 % of 500 (above 5 000)
    assert by["E"].rebate == Decimal("105.00")
    assert [x.amount for x in by["E"].lines] == [Decimal("80.00"), Decimal("25.00")]
    assert available(app, ctx, card_d) == Decimal("280.00")  # welcome 5 + rebate 275
    rerun = svc.run_rebates(app.uow(), ctx=ctx, period="2026-10", today=date(2026, 11, 1))
    assert {st.status for st in rerun} == {"replayed"}
    assert available(app, ctx, card_d) == Decimal("280.00")
    assert available(app, ctx, card_e) == Decimal("110.00")
    stored = svc.show_rebate_statement(app.uow(), ctx=ctx, distributor="D", period="2026-10")
    assert stored.rebate == Decimal("275.00") and stored.card == card_d
    assert "5 % of the whole volume" in stored.lines[0].explanation
    assert ledger_ok(app, ctx)


def test_fixed_point_rebate_per_unit_and_quarter(
    app: App, ctx: BusinessContext, offers_program: svc.ProgramInfo
) -> None:
    person(app, ctx, "F")
    card = card_of(app, ctx, "F")
    svc.define_rebate_scheme(
        app.uow(), ctx=ctx, program="CLUB", distributor="F", kind="fixed", per_unit="0.5",
        per_order="2", period_kind="quarter",
    )  # fmt: skip
    _order(app, ctx, "F", "F1", "100", date(2026, 7, 1), qty="10")
    _order(app, ctx, "F", "F2", "60", date(2026, 9, 30), qty="4")
    assert svc.run_rebates(app.uow(), ctx=ctx, period="2026-09", today=date(2026, 12, 1)) == []
    (st,) = svc.run_rebates(app.uow(), ctx=ctx, period="2026-Q3", today=date(2026, 12, 1))
    assert st.rebate == Decimal("11.00")  # 14 units × 0.50 + 2 orders × 2
    assert available(app, ctx, card) == Decimal("16.00")


# --- bonuses ----------------------------------------------------------------------------------


def test_welcome_and_birthday_bonuses_are_paid_once(
    app: App, ctx: BusinessContext, offers_program: svc.ProgramInfo
) -> None:
    person(app, ctx, "B", birthday=TODAY.replace(year=1992))  # a leap year: 29 Feb works too
    card = card_of(app, ctx, "B")
    assert available(app, ctx, card) == Decimal("5.00")  # welcome
    first = svc.accrue(app.uow(), ctx=ctx, card=card, order="B1", amount="100")
    assert {r.rule for r in first.rewards} >= {"birthday"}
    assert available(app, ctx, card) == Decimal("20.00")  # + 5 cashback + 10 birthday
    second = svc.accrue(app.uow(), ctx=ctx, card=card, order="B2", amount="100")
    assert "birthday" not in {r.rule for r in second.rewards}
    assert available(app, ctx, card) == Decimal("25.00")
    with app.uow() as uow:
        s = uow.session
        c = s.scalars(select(LoyaltyCard).where(LoyaltyCard.number == card)).one()
        p = c.program_id
        prog = s.get_one(LoyaltyProgram, p)
        next_year = birthday_facts(s, prog, c, CustomerFacts(), today=add_months(TODAY, 12))
        rules = s.scalars(select(LoyaltyReward.rule).where(LoyaltyReward.card_id == c.id)).all()
    assert next_year.is_birthday_period and not next_year.birthday_bonus_taken
    assert sorted(rules).count("welcome") == 1 and rules.count("birthday") == 1
    assert ledger_ok(app, ctx)


def test_a_second_card_of_the_same_customer_gets_no_second_welcome_bonus(
    app: App, ctx: BusinessContext, offers_program: svc.ProgramInfo
) -> None:
    person(app, ctx, "W")
    first = card_of(app, ctx, "W")
    second = card_of(app, ctx, "W")
    bearer = svc.issue_card(app.uow(), ctx=ctx, program="CLUB", bearer=True).number
    assert available(app, ctx, first) == Decimal("5.00")
    assert available(app, ctx, second) == Decimal("0.00")
    assert available(app, ctx, bearer) == Decimal("5.00")  # a new holder, whoever it is
    assert ledger_ok(app, ctx)


def test_referral_pays_both_sides_once_on_the_first_paid_order(
    app: App, ctx: BusinessContext, offers_program: svc.ProgramInfo
) -> None:
    person(app, ctx, "A")
    person(app, ctx, "N")
    ref_card, new_card = card_of(app, ctx, "A"), card_of(app, ctx, "N")
    with pytest.raises(SelfReferral):
        svc.record_referral(app.uow(), ctx=ctx, program="CLUB", referrer="A", referee="A")
    svc.record_referral(app.uow(), ctx=ctx, program="CLUB", referrer="A", referee="N")
    with pytest.raises(AlreadyReferred):
        svc.record_referral(app.uow(), ctx=ctx, program="CLUB", referrer="A", referee="N")
    assert svc.pay_referrals(app.uow(), ctx=ctx) == []
    svc.accrue(app.uow(), ctx=ctx, card=new_card, order="N1", amount="100", pending=True)
    assert svc.pay_referrals(app.uow(), ctx=ctx) == []  # not paid yet
    svc.mark_paid(app.uow(), ctx=ctx, order="N1")
    (paid,) = svc.pay_referrals(app.uow(), ctx=ctx)
    assert (paid.referrer_bonus, paid.referee_bonus) == (Decimal("7.00"), Decimal("3.00"))
    assert svc.pay_referrals(app.uow(), ctx=ctx) == []
    assert available(app, ctx, ref_card) == Decimal("12.00")  # welcome 5 + 7
    assert available(app, ctx, new_card) == Decimal("13.00")  # welcome 5 + cashback 5 + 3
    assert ledger_ok(app, ctx)


# --- tier review ------------------------------------------------------------------------------


def test_tiers_go_down_only_after_the_review_date_and_the_grace(
    app: App, ctx: BusinessContext, offers_program: svc.ProgramInfo
) -> None:
    person(app, ctx, "G")
    card = card_of(app, ctx, "G")
    svc.accrue(app.uow(), ctx=ctx, card=card, order="G1", amount="25000",
               at=datetime.now(UTC) - timedelta(days=200))  # fmt: skip
    assert svc.card_balance(app.uow(), ctx=ctx, number=card).tier == "gold"
    review_day = add_months(TODAY, 12)

    def tier_on(day: date) -> str | None:
        svc.review_tiers(app.uow(), ctx=ctx, today=day)
        return svc.card_balance(app.uow(), ctx=ctx, number=card).tier

    assert tier_on(TODAY) == "gold"
    assert tier_on(review_day - timedelta(days=1)) == "gold"  # below, but before the review
    run = svc.review_tiers(app.uow(), ctx=ctx, today=review_day)
    assert run.changes == () and [x.card for x in run.in_grace] == [card]
    # below since the day before the review: 30 days of grace end on review day + 29
    assert tier_on(review_day + timedelta(days=28)) == "gold"  # still in grace
    assert tier_on(review_day + timedelta(days=29)) == "basic"
    with app.uow() as uow:
        history = uow.session.execute(
            select(LoyaltyTierChange.from_tier, LoyaltyTierChange.to_tier).order_by(
                LoyaltyTierChange.id
            )
        ).all()
    assert [tuple(h) for h in history] == [("basic", "gold"), ("gold", "basic")]
    assert ledger_ok(app, ctx)
