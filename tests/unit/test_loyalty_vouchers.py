"""Voucher codes catch typos; vouchers refuse use outside their dates, limits and minimum spend."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulars.domain.errors import DomainError, ValidationError
from regulars.domain.loyalty.vouchers import (
    ALPHABET,
    Voucher,
    check_voucher,
    format_code,
    generate_code,
    normalize_code,
    validate_voucher,
    voucher_discount,
    voucher_reward,
)

D = Decimal
CODE = generate_code(10, randbelow=random.Random(4).randrange)
GIFT = Voucher(
    CODE,
    "EUR",
    value=D("20.00"),
    valid_from=date(2026, 12, 1),
    valid_until=date(2026, 12, 31),
    min_spend=D("50.00"),
)


def use(voucher: Voucher = GIFT, **kw: object) -> None:
    args: dict[str, object] = {
        "customer_uses": 0,
        "total_uses": 0,
        "today": date(2026, 12, 24),
        "order_total": D("80.00"),
    }
    args.update(kw)
    check_voucher(voucher, **args)  # type: ignore[arg-type]


def test_generated_codes_read_back_in_any_typing() -> None:
    assert len(CODE) == 10 and set(CODE) <= set(ALPHABET)
    assert normalize_code(format_code(CODE).lower()) == CODE
    assert normalize_code(" ".join(CODE)) == CODE


def test_codes_never_use_look_alike_characters() -> None:
    assert not set("01OIL") & set(ALPHABET)
    with pytest.raises(ValidationError, match="never used") as err:
        normalize_code("O0" + CODE[2:])
    assert err.value.code == "invalid_voucher_code"


def test_a_prefix_is_kept() -> None:
    code = generate_code(12, prefix="xmas", randbelow=random.Random(1).randrange)
    assert code.startswith("XMAS") and normalize_code(code) == code


@given(st.integers(0, 9), st.sampled_from(ALPHABET), st.randoms())
def test_any_single_typo_is_caught(position: int, wrong: str, rng: random.Random) -> None:
    code = generate_code(10, randbelow=rng.randrange)
    typo = code[:position] + wrong + code[position + 1 :]
    if typo != code:
        with pytest.raises(ValidationError):
            normalize_code(typo)


@given(st.integers(0, 8), st.randoms())
def test_any_swap_of_neighbours_is_caught(position: int, rng: random.Random) -> None:
    code = generate_code(10, randbelow=rng.randrange)
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    if swapped != code:
        with pytest.raises(ValidationError):
            normalize_code(swapped)


def test_a_valid_voucher_on_a_big_enough_order_is_accepted() -> None:
    use()
    use(today=date(2026, 12, 1))
    use(today=date(2026, 12, 31), order_total=D("50.00"))
    assert voucher_discount(GIFT, D("80.00")) == D("20.00")


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"today": date(2026, 11, 30)}, "voucher_not_yet_valid"),
        ({"today": date(2027, 1, 1)}, "voucher_expired"),
        ({"total_uses": 1}, "voucher_already_used"),
        ({"customer_uses": 1}, "voucher_customer_limit"),
        ({"order_total": D("49.99")}, "voucher_min_spend"),
    ],
)
def test_each_refusal_has_its_own_code(kw: dict[str, object], code: str) -> None:
    with pytest.raises(DomainError) as err:
        use(**kw)
    assert err.value.code == code
    assert CODE in err.value.message
    assert not isinstance(err.value, ValidationError)  # a refusal, not bad input


def test_a_campaign_code_allows_many_uses_but_one_per_customer() -> None:
    campaign = replace(GIFT, max_uses=None, per_customer_limit=1)
    use(campaign, total_uses=10_000)
    with pytest.raises(DomainError, match="per customer"):
        use(campaign, total_uses=10_000, customer_uses=1)


def test_percent_vouchers_round_in_the_currency_and_never_exceed_the_order() -> None:
    ten = replace(GIFT, kind="percent", value=D(10))
    assert voucher_discount(ten, D("33.35")) == D("3.34")
    vnd = Voucher(generate_code(), "VND", kind="percent", value=D(15))
    assert voucher_discount(vnd, D(33_333)) == D(5000)
    assert voucher_discount(GIFT, D("12.00")) == D("12.00")


@pytest.mark.parametrize(
    "bad",
    [
        replace(GIFT, value=D(0)),
        replace(GIFT, kind="percent", value=D(101)),
        replace(GIFT, valid_until=date(2026, 11, 1)),
        replace(GIFT, max_uses=0),
        replace(GIFT, code="ABC"),
    ],
)
def test_vouchers_that_could_never_work_are_refused(bad: Voucher) -> None:
    with pytest.raises(ValidationError):
        validate_voucher(bad)


def test_a_good_voucher_validates() -> None:
    assert validate_voucher(GIFT) is GIFT


def test_a_used_voucher_leaves_a_snapshot_of_what_it_gave() -> None:
    reward = voucher_reward(GIFT, D("80.00"))
    assert (reward.kind, reward.amount, reward.unit) == ("discount", D("20.00"), "EUR")
    assert reward.rule == f"voucher:{CODE}"
