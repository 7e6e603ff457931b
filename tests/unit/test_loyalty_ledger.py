"""The ledger's pure arithmetic: card numbers, balanced entries, lots, refunds, settlement."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulars.domain.loyalty.cards import luhn_digit, make_number, normalize_number
from regulars.domain.loyalty.errors import InsufficientBalance, InvalidCardNumber
from regulars.domain.loyalty.ledger import (
    Posting,
    UnbalancedEntry,
    check_balanced,
    refund_share,
    take_oldest,
)
from regulars.domain.loyalty.settlement import Consumption, obligations, positions


def test_card_numbers_carry_a_luhn_check_digit() -> None:
    assert luhn_digit("7992739871") == "3"  # the textbook example
    number = make_number("000042", 123456789)
    assert len(number) == 16 and number.startswith("000042")
    assert normalize_number(f"{number[:4]} {number[4:8]}-{number[8:]}") == number


@pytest.mark.parametrize("typo", ["swap", "digit"])
def test_a_mistyped_card_number_is_refused(typo: str) -> None:
    number = make_number("000042", 987654321)
    if typo == "digit":
        bad = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
    else:
        bad = number[:6] + number[7] + number[6] + number[8:]
        if bad == number:
            pytest.skip("equal digits swapped")
    with pytest.raises(InvalidCardNumber):
        normalize_number(bad)
    with pytest.raises(InvalidCardNumber):
        normalize_number("12ab")


def test_an_entry_must_balance() -> None:
    check_balanced([Posting(1, -250), Posting(2, 250)])
    check_balanced([])  # an accrual that earned nothing moves nothing
    with pytest.raises(UnbalancedEntry):
        check_balanced([Posting(1, -250), Posting(2, 249)])


def test_spending_eats_the_oldest_lots_first_and_never_more_than_there_is() -> None:
    takes = take_oldest([(1, 100), (2, 50), (3, 70)], 120)
    assert [(t.lot, t.amount) for t in takes] == [(1, 100), (2, 20)]
    with pytest.raises(InsufficientBalance):
        take_oldest([(1, 100)], 101)


def test_the_documents_refund_example() -> None:
    # 5,000 earned 250 and 100 was redeemed on it; half refunded, then the rest.
    first = refund_share(
        order_total=500000,
        refunded_before=0,
        refund=250000,
        accrued=25000,
        reversed_before=0,
        redeemed=10000,
        given_back_before=0,
    )
    assert (first.reverse, first.give_back) == (12500, 5000)
    rest = refund_share(
        order_total=500000,
        refunded_before=250000,
        refund=250000,
        accrued=25000,
        reversed_before=12500,
        redeemed=10000,
        given_back_before=5000,
    )
    assert (rest.reverse, rest.give_back) == (12500, 5000)


@given(
    total=st.integers(1, 10**7),
    accrued=st.integers(0, 10**6),
    redeemed=st.integers(0, 10**6),
    cuts=st.lists(st.integers(1, 10**7), min_size=1, max_size=6),
)
def test_repeated_partial_refunds_never_create_value(
    total: int, accrued: int, redeemed: int, cuts: list[int]
) -> None:
    refunded = reversed_ = given = 0
    for cut in cuts:
        part = min(cut, total - refunded)
        if part <= 0:
            break
        share = refund_share(
            order_total=total,
            refunded_before=refunded,
            refund=part,
            accrued=accrued,
            reversed_before=reversed_,
            redeemed=redeemed,
            given_back_before=given,
        )
        refunded, reversed_, given = (
            refunded + part,
            reversed_ + share.reverse,
            given + share.give_back,
        )
        # the customer keeps at most the exact share of what they earned, and gets back at most
        # the exact share of what they redeemed
        assert (accrued - reversed_) * total <= accrued * (total - refunded)
        assert given * total <= redeemed * refunded
    if refunded == total:
        assert (reversed_, given) == (accrued, redeemed)


def test_settlement_nets_each_pair_and_sums_to_zero() -> None:
    lines = obligations(
        [
            Consumption(earned_at=1, spent_at=2, amount=300),  # the gym's points spent at the shop
            Consumption(earned_at=2, spent_at=1, amount=100),
            Consumption(earned_at=1, spent_at=3, amount=50),
            Consumption(earned_at=3, spent_at=3, amount=999),  # at home: nothing owed
        ]
    )
    assert [(o.debtor, o.creditor, o.amount) for o in lines] == [(1, 2, 200), (1, 3, 50)]
    assert positions(lines) == {1: -250, 2: 200, 3: 50}


@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(0, 10**6))))
def test_settlement_always_sums_to_zero(uses: list[tuple[int, int, int]]) -> None:
    lines = obligations(Consumption(a, b, n) for a, b, n in uses)
    assert sum(positions(lines).values()) == 0
    assert all(o.amount > 0 and o.debtor != o.creditor for o in lines)
