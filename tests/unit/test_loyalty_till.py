"""The till only counts a card's earlier orders when the rules can use the count."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from regulars.domain.loyalty import rules
from regulars.domain.loyalty.program import ProgramKind, ProgramSpec, RuleSpec, parse_tiers
from regulars.services.loyalty.till import needs_history

D = Decimal
SPECS = [
    ProgramSpec("A", "EUR", rules=RuleSpec(cashback_percent=D(5))),
    ProgramSpec("B", "EUR", tiers=parse_tiers("basic:0:5,gold:200:10"), rules=RuleSpec()),
    ProgramSpec(
        "C",
        "EUR",
        kind=ProgramKind.POINTS,
        point_value=D("0.01"),
        rules=RuleSpec(
            points_per_unit=D(2),
            birthday_bonus=D(50),
            welcome_bonus=D(10),
            min_spend=D(5),
            category_multipliers={"tea": D(3)},
        ),
    ),
    ProgramSpec(
        "D", "EUR", rules=RuleSpec(cashback_percent=D(5), repeat_order_discount_percent=D(10))
    ),
    ProgramSpec("E", "EUR", rules=RuleSpec(cashback_percent=D(1), referral_bonus_referee=D(5))),
    ProgramSpec("F", "EUR", rules=RuleSpec(cashback_percent=D(1), referral_bonus_referrer=D(5))),
]
BASKET = [rules.BasketLine("T", D(2), D("12.50"), "tea"), rules.BasketLine("C", D(1), D(30), None)]


def _outcomes(spec: ProgramSpec, facts: rules.CustomerFacts) -> object:
    quote = rules.quote_basket(spec, BASKET, facts, available=D(100), redeem=D(1))
    return quote, rules.accrual_for_amount(spec, D(80), facts)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.code)
def test_rules_that_do_not_need_the_history_give_the_same_answer_whatever_it_is(
    spec: ProgramSpec,
) -> None:
    differs = False
    for referred in (False, True):
        for birthday in (False, True):
            base = rules.CustomerFacts(
                tier_code=None, referred_by_member=referred, is_birthday_period=birthday
            )
            first = _outcomes(spec, base)
            for n in (1, 2, 7):
                if _outcomes(spec, dataclasses.replace(base, previous_orders=n)) != first:
                    differs = True
    # The till passes 0 earlier orders when needs_history is False: the answer must not change.
    assert differs == needs_history(spec)
