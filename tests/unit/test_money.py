"""Money: each currency's own minor units, no silent rounding of input, no mixing currencies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulars.domain.errors import InvalidMoney
from regulars.domain.money import (
    Money,
    from_minor,
    minor_units,
    normalize_currency,
    parse_amount,
    to_minor,
)


@pytest.mark.parametrize(
    ("currency", "digits", "amount", "minor"),
    [
        ("VND", 0, "45000", 45_000),
        ("THB", 2, "99.50", 9_950),
        ("EUR", 2, "12.34", 1_234),
        ("KWD", 3, "1.234", 1_234),
    ],
)
def test_minor_units_follow_the_currency(
    currency: str, digits: int, amount: str, minor: int
) -> None:
    assert minor_units(currency) == digits
    assert to_minor(Decimal(amount), currency) == minor
    assert from_minor(minor, currency) == Decimal(amount)


def test_amounts_come_back_with_the_currency_s_decimals() -> None:
    assert str(from_minor(1050, "EUR")) == "10.50"
    assert str(from_minor(45_000, "VND")) == "45000"
    assert str(Money.of_minor(1, "KWD")) == "0.001 KWD"


def test_rounding_is_half_up_in_the_currency_s_precision() -> None:
    assert to_minor(Decimal("0.125"), "EUR") == 13
    assert to_minor(Decimal("0.124"), "EUR") == 12
    assert to_minor(Decimal("2.5"), "VND") == 3
    assert Money(Decimal("0.4995"), "EUR").rounded() == Money(Decimal("0.50"), "EUR")


@pytest.mark.parametrize(
    ("text", "currency"),
    [("1.5", "VND"), ("1.005", "EUR"), ("9.999", "THB"), ("0.0001", "KWD")],
)
def test_more_decimals_than_the_currency_has_are_refused(text: str, currency: str) -> None:
    with pytest.raises(InvalidMoney) as info:
        parse_amount(text, currency)
    assert currency in info.value.message


@pytest.mark.parametrize("text", ["abc", "", "NaN", "Infinity", "1,5"])
def test_what_is_not_a_number_is_refused(text: str) -> None:
    with pytest.raises(InvalidMoney):
        parse_amount(text, "EUR")


def test_trailing_zeros_within_the_precision_are_fine() -> None:
    assert parse_amount(" 12.50 ", "EUR") == Decimal("12.5")
    assert parse_amount("45000.0", "VND") == Decimal(45000)


def test_currency_codes_are_checked() -> None:
    assert normalize_currency(" vnd ") == "VND"
    for bad in ["XQZ", "EU", "12A", ""]:
        with pytest.raises(InvalidMoney):
            normalize_currency(bad)


def test_money_adds_within_one_currency_and_refuses_to_mix() -> None:
    a = Money(Decimal("10.50"), "EUR")
    assert a + Money(Decimal("0.75"), "EUR") == Money(Decimal("11.25"), "EUR")
    assert a - Money(Decimal("0.50"), "EUR") == Money(Decimal("10.00"), "EUR")
    with pytest.raises(InvalidMoney):
        a + Money(Decimal(10), "THB")
    with pytest.raises(InvalidMoney):
        Money(Decimal(45000), "VND") - a


CURRENCIES = st.sampled_from(["VND", "THB", "EUR", "KWD", "JPY", "BHD", "USD"])


@given(minor=st.integers(min_value=-(10**15), max_value=10**15), currency=CURRENCIES)
def test_minor_units_round_trip(minor: int, currency: str) -> None:
    amount = from_minor(minor, currency)
    assert to_minor(amount, currency) == minor
    assert parse_amount(str(amount), currency) == amount
    assert Money(amount, currency).minor == minor
