"""Phones and e-mails as people type them become one stored form, or are refused with a reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulars.domain.contact_points import normalize_email, normalize_phone, phone_search_key
from regulars.domain.errors import InvalidEmail, InvalidPhone


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("0912 345 678", "VN", "+84912345678"),
        ("091-234-5678", "VN", "+84912345678"),
        ("+84 (91) 234 5678", "US", "+84912345678"),  # a country code wins over the region
        ("081 234 5678", "TH", "+66812345678"),
        ("612 34 56 78", "ES", "+34612345678"),
        ("040 123 4567", "FI", "+358401234567"),
        ("(202) 555-0143", "US", "+12025550143"),
    ],
)
def test_phones_typed_any_way_become_e164(typed: str, region: str, e164: str) -> None:
    assert normalize_phone(typed, region) == e164


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "empty"),
        ("12", "too short"),
        ("0912 345 678 999 999", "too long"),
        ("hello", "not a phone number"),
        ("0112 345 678", "no such number in VN"),
    ],
)
def test_invalid_phones_are_refused_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(InvalidPhone) as err:
        normalize_phone(typed, "VN")
    assert reason in err.value.message
    assert err.value.code == "invalid_phone"


def test_a_number_without_country_code_needs_a_known_region() -> None:
    with pytest.raises(InvalidPhone, match="country code"):
        normalize_phone("0912 345 678", "ZZ")


def test_search_key_is_none_for_text_that_is_not_a_phone() -> None:
    assert phone_search_key("Nguyễn", "VN") is None
    assert phone_search_key("0912.345.678", "VN") == "+84912345678"


@given(st.sampled_from(["0912345678", "0912 345 678", "+84912345678", "(091) 234-5678"]))
def test_normalising_twice_changes_nothing(typed: str) -> None:
    once = normalize_phone(typed, "VN")
    assert normalize_phone(once, "TH") == once


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("An@Gmail.COM", "an@gmail.com"),
        ("  lan.tran@shop.vn ", "lan.tran@shop.vn"),
        ("somchai@ตัวอย่าง.ไทย", "somchai@ตัวอย่าง.ไทย"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(typed: str, stored: str) -> None:
    assert normalize_email(typed) == stored


@pytest.mark.parametrize("typed", ["", "an", "an@", "@gmail.com", "an@gmail", "a b@gmail.com"])
def test_invalid_emails_are_refused(typed: str) -> None:
    with pytest.raises(InvalidEmail) as err:
        normalize_email(typed)
    assert err.value.code == "invalid_email"
    assert err.value.field == "email"
