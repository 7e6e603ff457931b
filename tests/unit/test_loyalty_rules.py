"""The quote and the earning rules: the documents' numbers, and properties no quote may break."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulars.domain.errors import DomainError, ValidationError
from regulars.domain.loyalty.birthdays import birthday_period_key, in_birthday_period
from regulars.domain.loyalty.program import (
    ProgramKind,
    ProgramSpec,
    RuleSpec,
    format_tiers,
    parse_percent,
    parse_tiers,
    validate_program,
)
from regulars.domain.loyalty.rules import (
    BasketLine,
    CustomerFacts,
    earn_for_amount,
    quote_basket,
    redeem_cap,
    referral_bonuses,
    welcome_bonus,
)
from regulars.domain.money import minor_units

D = Decimal
DOC_TIERS = "basic:0:5,gold:20000:10,vip:100000:20"


def cashback(currency: str = "VND", **rules: object) -> ProgramSpec:
    spec = RuleSpec(**{"cashback_percent": D(5), **rules})  # type: ignore[arg-type]
    return validate_program(ProgramSpec("shop", currency, tiers=parse_tiers(DOC_TIERS), rules=spec))


def line(price: str, qty: str = "1", category: str | None = None) -> BasketLine:
    return BasketLine("sku", D(qty), D(price), category)


# --- program parsing -------------------------------------------------------------------------


def test_the_documents_tiers_parse_in_order() -> None:
    tiers = parse_tiers(DOC_TIERS)
    assert [(t.code, t.threshold, t.discount_percent) for t in tiers] == [
        ("basic", D(0), D(5)),
        ("gold", D(20000), D(10)),
        ("vip", D(100000), D(20)),
    ]
    assert format_tiers(tiers) == DOC_TIERS


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("basic:10:5", "must start at 0"),
        ("basic:0:5,gold:0:10", "must be above"),
        ("basic:0:5,vip:100:20,gold:50:10", "must be above"),
        ("basic:0:5,Basic:10:6", "appears twice"),
        ("basic:0:120", "between 0 and 100"),
        ("basic:0:-1", "between 0 and 100"),
        ("basic:0", "code:threshold:discount"),
        ("basic:x:5", "not a number"),
        ("9lives:0:5", "must start with a letter"),
        ("", "at least one tier"),
    ],
)
def test_bad_tiers_are_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(ValidationError, match=says) as err:
        parse_tiers(text)
    assert err.value.code == "invalid_tiers"


def test_percentages_accept_a_percent_sign_and_refuse_nonsense() -> None:
    assert parse_percent("5%") == D(5)
    assert parse_percent(" 2.5 ") == D("2.5")
    for bad in ("abc", "101", "-1", "NaN", "inf"):
        with pytest.raises(ValidationError) as err:
            parse_percent(bad)
        assert err.value.code == "invalid_percent"


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (ProgramSpec("shop", "EUR", rules=RuleSpec(points_per_unit=D(1))), "points_per_unit"),
        (ProgramSpec("shop", "EUR", rules=RuleSpec(cashback_percent=D(150))), "cashback_percent"),
        (ProgramSpec("shop", "EUR", rules=RuleSpec(welcome_bonus=D("1.234"))), "welcome_bonus"),
        (
            ProgramSpec(
                "p", "EUR", kind=ProgramKind.POINTS, rules=RuleSpec(birthday_bonus=D("0.5"))
            ),
            "birthday_bonus",
        ),
        (ProgramSpec("p", "EUR", kind=ProgramKind.POINTS, point_value=D(0)), "point_value"),
        (ProgramSpec("shop", "EUR", grace_days=-1), "grace_days"),
        (ProgramSpec("", "EUR"), "code"),
    ],
)
def test_inconsistent_programs_are_refused(spec: ProgramSpec, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_program(spec)
    assert err.value.code == "invalid_program"
    assert err.value.field == field


def test_an_unknown_currency_is_refused() -> None:
    with pytest.raises(ValidationError):
        validate_program(ProgramSpec("shop", "XXY"))


# --- the documents' examples ---------------------------------------------------------------------


def test_a_purchase_of_5000_with_5_percent_cashback_earns_250() -> None:
    assert earn_for_amount(cashback(), D(5000)) == D(250)


def test_cashback_rounds_down_to_the_currency_s_minor_units() -> None:
    assert earn_for_amount(cashback("EUR"), D("12.34")) == D("0.61")  # 0.617
    assert earn_for_amount(cashback("VND"), D(12_345)) == D(617)  # 617.25


@pytest.mark.parametrize(
    ("tier", "discount", "total"),
    [("basic", "5000", "95000"), ("gold", "10000", "90000"), ("vip", "20000", "80000")],
)
def test_each_tier_gets_its_own_discount(tier: str, discount: str, total: str) -> None:
    q = quote_basket(cashback(), [line("100000")], CustomerFacts(tier))
    assert (q.discount, q.total) == (D(discount), D(total))
    assert q.earn == D(total) * 5 / 100
    assert q.rewards[0].rule == f"tier:{tier}"


def test_a_customer_without_a_tier_gets_the_first_tier() -> None:
    q = quote_basket(cashback(), [line("1000")], CustomerFacts())
    assert q.tier_code == "basic"
    assert q.discount == D(50)


def test_an_unknown_tier_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        quote_basket(cashback(), [line("1000")], CustomerFacts("platinum"))
    assert err.value.code == "unknown_tier"


def test_eur_quote_keeps_two_decimals() -> None:
    q = quote_basket(cashback("EUR"), [line("3.33", "3")], CustomerFacts("gold"))
    assert q.subtotal == D("9.99")
    assert q.discount == D("1.00")  # 0.999 rounds half up
    assert q.total == D("8.99")
    assert q.earn == D("0.44")  # 0.4495 rounds down


def test_repeat_order_discount_replaces_a_smaller_tier_discount() -> None:
    program = cashback(repeat_order_discount_percent=D(7))
    first = quote_basket(program, [line("10000")], CustomerFacts("basic", previous_orders=0))
    second = quote_basket(program, [line("10000")], CustomerFacts("basic", previous_orders=1))
    gold = quote_basket(program, [line("10000")], CustomerFacts("gold", previous_orders=1))
    assert first.discount == D(500)
    assert second.discount == D(700)
    assert [r.rule for r in second.rewards if r.kind == "discount"] == ["repeat_order"]
    assert gold.discount == D(1000)


def test_stacked_discounts_apply_one_after_the_other() -> None:
    program = cashback(repeat_order_discount_percent=D(10), stack_discounts=True)
    q = quote_basket(program, [line("10000")], CustomerFacts("basic", previous_orders=3))
    assert q.discount == D(500) + D(950)  # 5 % of 10000, then 10 % of 9500
    assert {r.rule for r in q.rewards if r.kind == "discount"} == {"tier:basic", "repeat_order"}


def test_category_multipliers_raise_earning_on_their_lines_only() -> None:
    program = cashback(category_multipliers={"wine": D(2)})
    q = quote_basket(
        program, [line("1000", "2"), line("3000", category="wine")], CustomerFacts("gold")
    )
    assert q.total == D(4500)
    # 4500 paid, split 2000:3000 → 1800 at 5 % and 2700 at 10 %
    assert q.earn == D(90) + D(270)
    assert {r.rule: r.amount for r in q.rewards if r.kind == "earn"} == {
        "cashback": D(90),
        "cashback:category:wine": D(270),
    }


def test_below_minimum_spend_nothing_is_earned() -> None:
    program = cashback(min_spend=D(1000), birthday_bonus=D(500))
    facts = CustomerFacts("basic", is_birthday_period=True)
    assert quote_basket(program, [line("1000")], facts).earn == D(0)  # 950 after discount
    assert earn_for_amount(program, D(999)) == D(0)
    assert quote_basket(program, [line("2000")], facts).earn == D(95) + D(500)


def test_the_redeem_cap_limits_what_the_balance_may_pay() -> None:
    program = cashback(max_redeem_percent=D(30))
    q = quote_basket(program, [line("10000")], CustomerFacts("basic"), available=D(5000))
    assert q.max_redeem == D(2850)  # 30 % of 9500
    small = quote_basket(program, [line("10000")], CustomerFacts("basic"), available=D(250))
    assert small.max_redeem == D(250)
    assert redeem_cap(program, D(9500), D(10**6)) == D(2850)


def test_cashback_is_earned_only_on_what_is_paid_in_money() -> None:
    program = cashback()
    q = quote_basket(
        program, [line("5000")], CustomerFacts("basic"), available=D(250), redeem=D(250)
    )
    assert q.total == D(4750)
    assert q.earn == D(225)  # 5 % of 4500


def test_redeeming_above_the_cap_is_refused() -> None:
    program = cashback(max_redeem_percent=D(10))
    with pytest.raises(DomainError) as err:
        quote_basket(
            program, [line("1000")], CustomerFacts("basic"), available=D(500), redeem=D(200)
        )
    assert err.value.code == "redeem_above_cap"


def test_points_programs_earn_whole_points_and_value_them() -> None:
    program = validate_program(
        ProgramSpec(
            "pts",
            "THB",
            kind=ProgramKind.POINTS,
            point_value=D("0.25"),
            rules=RuleSpec(points_per_unit=D("0.1"), max_redeem_percent=D(50)),
        )
    )
    q = quote_basket(program, [line("199.99")], CustomerFacts(), available=D(1000))
    assert q.unit == "points"
    assert q.earn == D(19)  # 19.999 points, rounded down
    assert q.max_redeem == D(399)  # 99.99 THB cap / 0.25 = 399.96 points
    assert q.max_redeem_value == D("99.75")


def test_birthday_and_referral_bonuses_come_with_a_reason() -> None:
    program = cashback(
        birthday_bonus=D(1000), referral_bonus_referrer=D(300), referral_bonus_referee=D(200)
    )
    facts = CustomerFacts("basic", is_birthday_period=True, referred_by_member=True)
    q = quote_basket(program, [line("2000")], facts)
    bonuses = {r.rule: r.amount for r in q.rewards if r.kind == "bonus"}
    assert bonuses == {"birthday": D(1000), "referral_referee": D(200)}
    assert q.referrer_bonus is not None and q.referrer_bonus.amount == D(300)
    taken = CustomerFacts("basic", 1, is_birthday_period=True, birthday_bonus_taken=True)
    assert not [
        r for r in quote_basket(program, [line("2000")], taken).rewards if r.kind == "bonus"
    ]
    pair = referral_bonuses(program)
    assert pair.referrer is not None and pair.referee is not None
    assert (pair.referrer.amount, pair.referee.amount) == (D(300), D(200))


def test_welcome_bonus_only_when_configured() -> None:
    assert welcome_bonus(cashback()) is None
    bonus = welcome_bonus(cashback(welcome_bonus=D(100)))
    assert bonus is not None and (bonus.amount, bonus.kind, bonus.unit) == (D(100), "bonus", "VND")


def test_bad_basket_lines_are_refused() -> None:
    for bad in (line("100", "0"), line("-1"), line("NaN")):
        with pytest.raises(ValidationError) as err:
            quote_basket(cashback(), [bad], CustomerFacts())
        assert err.value.code == "invalid_basket"


# --- properties ----------------------------------------------------------------------------------

CURRENCIES = st.sampled_from(["VND", "EUR", "THB", "KWD"])
PERCENTS = st.decimals(min_value=0, max_value=100, places=1)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[ProgramSpec, list[BasketLine], CustomerFacts, Decimal]:
    currency = draw(CURRENCIES)
    places = minor_units(currency)
    t1, t2 = draw(PERCENTS), draw(PERCENTS)
    rules = RuleSpec(
        cashback_percent=draw(PERCENTS),
        repeat_order_discount_percent=draw(PERCENTS),
        max_redeem_percent=draw(PERCENTS),
        min_spend=draw(st.decimals(min_value=0, max_value=1000, places=places)),
        category_multipliers={"x": draw(st.decimals(min_value=0, max_value=5, places=2))},
        stack_discounts=draw(st.booleans()),
    )
    program = ProgramSpec("p", currency, tiers=(parse_tiers(f"a:0:{t1},b:1000:{t2}")), rules=rules)
    basket = draw(
        st.lists(
            st.builds(
                BasketLine,
                st.just("s"),
                st.decimals(min_value="0.001", max_value=50, places=3),
                st.decimals(min_value=0, max_value=10**6, places=places),
                st.sampled_from([None, "x", "y"]),
            ),
            max_size=6,
        )
    )
    facts = CustomerFacts(draw(st.sampled_from(["a", "b"])), draw(st.integers(0, 3)))
    available = draw(st.decimals(min_value=0, max_value=10**7, places=places))
    return program, basket, facts, available


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_no_quote_breaks_the_invariants(
    scenario: tuple[ProgramSpec, list[BasketLine], CustomerFacts, Decimal],
) -> None:
    program, basket, facts, available = scenario
    q = quote_basket(program, basket, facts, available=available)
    exponent = -minor_units(program.currency)
    assert q.total >= 0
    assert 0 <= q.discount <= q.subtotal
    assert q.total == q.subtotal - q.discount
    assert q.earn >= 0
    assert 0 <= q.max_redeem <= available
    assert q.max_redeem <= q.total * program.rules.max_redeem_percent / 100
    for amount in (q.subtotal, q.discount, q.total, q.earn, q.max_redeem):
        assert amount.as_tuple().exponent >= exponent  # type: ignore[operator]


@settings(max_examples=150, deadline=None)
@given(
    CURRENCIES,
    PERCENTS,
    st.decimals(min_value=0, max_value=10**6, places=0),
    st.decimals(min_value=0, max_value=10**6, places=0),
)
def test_earning_never_shrinks_when_the_amount_grows(
    currency: str, percent: Decimal, a: Decimal, b: Decimal
) -> None:
    program = ProgramSpec("p", currency, rules=RuleSpec(cashback_percent=percent))
    low, high = sorted((a, b))
    assert 0 <= earn_for_amount(program, low) <= earn_for_amount(program, high)
    assert earn_for_amount(program, high) <= high * percent / 100


@pytest.mark.parametrize(
    ("birthday", "today", "inside"),
    [
        (date(1990, 6, 10), date(2026, 6, 3), True),
        (date(1990, 6, 10), date(2026, 6, 18), False),
        (date(1990, 1, 2), date(2025, 12, 28), True),  # across the new year
        (date(1992, 2, 29), date(2026, 2, 28), True),  # leap-day birthday in a common year
        (None, date(2026, 6, 10), False),
    ],
)
def test_the_birthday_period_surrounds_the_birthday(
    birthday: date | None, today: date, inside: bool
) -> None:
    assert in_birthday_period(birthday, today, window_days=7) is inside
    if birthday is not None and inside:
        assert birthday_period_key(birthday, today) in (today.year, today.year + 1)
