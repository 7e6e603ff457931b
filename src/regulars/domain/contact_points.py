"""Phones and e-mail addresses, normalised on input so duplicates and look-ups work.

Phones become E.164 using the business's default region for numbers written without a country
code; an invalid number is refused with the reason, never stored half-right.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, ValidationResult

from regulars.domain.errors import InvalidEmail, InvalidPhone

_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "the country code is unknown",
    ValidationResult.TOO_SHORT: "it is too short",
    ValidationResult.TOO_LONG: "it is too long",
    ValidationResult.INVALID_LENGTH: "it has the wrong number of digits",
}
_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "the country code is missing or unknown",
    NumberParseException.NOT_A_NUMBER: "it is not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "it is too short",
    NumberParseException.TOO_SHORT_NSN: "it is too short",
    NumberParseException.TOO_LONG: "it is too long",
}


@lru_cache(maxsize=65536)
def normalize_phone(text: str, region: str) -> str:
    """Return the number in E.164 (`+84912345678`) or raise InvalidPhone saying why."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidPhone("the phone number is empty", field="phone")
    try:
        num = phonenumbers.parse(raw, region.upper())
    except NumberParseException as e:
        reason = _PARSE_REASONS.get(e.error_type, "it cannot be read")
        raise InvalidPhone(f"invalid phone {raw!r}: {reason}", field="phone") from None
    possible = phonenumbers.is_possible_number_with_reason(num)
    if possible not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        reason = _REASONS.get(possible, "it is not a possible number")
        raise InvalidPhone(f"invalid phone {raw!r}: {reason}", field="phone")
    if not phonenumbers.is_valid_number(num):
        where = phonenumbers.region_code_for_number(num) or region.upper()
        raise InvalidPhone(f"invalid phone {raw!r}: no such number in {where}", field="phone")
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=65536)
def normalize_email(text: str) -> str:
    """Return the address normalised and lower-cased, or raise InvalidEmail saying why.

    Lower case throughout: real mail providers ignore case in the local part, and one spelling
    is what makes look-ups and duplicate detection work (`An@Shop.vn` is `an@shop.vn`).
    Syntax only: deliverability needs DNS, which a till or an air-gapped shop may not have.
    """
    raw = (text or "").strip()
    if not raw:
        raise InvalidEmail("the e-mail address is empty", field="email")
    try:
        info = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as e:
        raise InvalidEmail(f"invalid e-mail {raw!r}: {e}", field="email") from None
    return str(info.normalized).lower()


def phone_search_key(text: str, region: str) -> str | None:
    """E.164 of what a user typed into a search box, or None when it is not a phone number."""
    try:
        return normalize_phone(text, region)
    except InvalidPhone:
        return None
