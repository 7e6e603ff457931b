"""Gift vouchers and codes: codes people can read aloud, and the rules of when one may be used.

Codes use 31 symbols without look-alikes (no 0/O, 1/I/L) and end in a check character computed
modulo 31 (a prime) with position weights, so any single mistyped character and any swap of two
neighbours is caught as a typo before anything is looked up.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from regulars.domain.loyalty.rounding import ZERO, percent_of, round_half_up
from regulars.domain.loyalty.rule_errors import (
    InvalidVoucher,
    InvalidVoucherCode,
    VoucherAlreadyUsed,
    VoucherCustomerLimit,
    VoucherExpired,
    VoucherMinSpend,
    VoucherNotYetValid,
)
from regulars.domain.loyalty.rules import AppliedReward

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_BASE = len(ALPHABET)  # 31, a prime
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
VoucherKind = Literal["amount", "percent"]


def check_character(body: str) -> str:
    """The character that makes the weighted sum of the whole code divisible by 31."""
    if len(body) + 1 >= _BASE:
        raise InvalidVoucherCode("a voucher code has at most 29 characters before its check")
    total = sum((i + 1) * _VALUE[c] for i, c in enumerate(body))
    weight = len(body) + 1
    return ALPHABET[(-total * pow(weight, -1, _BASE)) % _BASE]


def generate_code(
    length: int = 10, *, prefix: str = "", randbelow: Callable[[int], int] = secrets.randbelow
) -> str:
    """A new code of `length` characters including the check; `prefix` from the alphabet too."""
    prefix = prefix.upper()
    if any(c not in _VALUE for c in prefix) or not len(prefix) < length <= 30:
        raise InvalidVoucherCode(
            f"prefix {prefix!r} must use {ALPHABET} and leave room for random characters"
        )
    body = prefix + "".join(ALPHABET[randbelow(_BASE)] for _ in range(length - 1 - len(prefix)))
    return body + check_character(body)


def normalize_code(text: str) -> str:
    """Accept what people type (lower case, spaces, dashes), refuse typos via the check."""
    code = "".join(c for c in text.upper() if c not in " -\t")
    bad = sorted({c for c in code if c not in _VALUE})
    if len(code) < 2 or bad:
        why = f"characters {''.join(bad)!r} are never used" if bad else "too short"
        raise InvalidVoucherCode(f"{text!r} is not a voucher code: {why}", field="code")
    if check_character(code[:-1]) != code[-1]:
        raise InvalidVoucherCode(f"{text!r} is not a voucher code: check it for a typo")
    return code


def format_code(code: str, group: int = 4) -> str:
    """For printing: groups of four, e.g. `ABCD-EFGH-JK`."""
    return "-".join(code[i : i + group] for i in range(0, len(code), group))


@dataclass(frozen=True, slots=True)
class Voucher:
    """A gift or promotion code; limits of None mean unlimited."""

    code: str
    currency: str
    kind: VoucherKind = "amount"
    value: Decimal = ZERO  # money for "amount", percent of the order for "percent"
    valid_from: date | None = None
    valid_until: date | None = None  # last valid day, inclusive
    max_uses: int | None = 1  # 1 = single use
    per_customer_limit: int | None = 1
    min_spend: Decimal = ZERO


def validate_voucher(voucher: Voucher) -> Voucher:
    """Refuse voucher definitions that could never be used as meant."""
    normalize_code(voucher.code)
    v = voucher.value
    if not (v.is_finite() and v > 0) or (voucher.kind == "percent" and v > 100):
        raise InvalidVoucher(f"voucher value {v} is out of range", field="value")
    if voucher.kind not in ("amount", "percent"):
        raise InvalidVoucher(f"unknown voucher kind {voucher.kind!r}", field="kind")
    if voucher.valid_from and voucher.valid_until and voucher.valid_until < voucher.valid_from:
        raise InvalidVoucher("valid_until is before valid_from", field="valid_until")
    for name in ("max_uses", "per_customer_limit"):
        limit = getattr(voucher, name)
        if limit is not None and limit < 1:
            raise InvalidVoucher(f"{name} must be 1 or more (or unlimited)", field=name)
    if not (voucher.min_spend.is_finite() and voucher.min_spend >= 0):
        raise InvalidVoucher("min_spend must be 0 or more", field="min_spend")
    return voucher


def check_voucher(
    voucher: Voucher, *, customer_uses: int, total_uses: int, today: date, order_total: Decimal
) -> None:
    """Raise the reason a voucher may not be used on this order now; return when it may."""
    if voucher.valid_from and today < voucher.valid_from:
        raise VoucherNotYetValid(f"voucher {voucher.code} is valid from {voucher.valid_from}")
    if voucher.valid_until and today > voucher.valid_until:
        raise VoucherExpired(f"voucher {voucher.code} expired on {voucher.valid_until}")
    if voucher.max_uses is not None and total_uses >= voucher.max_uses:
        single = "has already been used" if voucher.max_uses == 1 else "has no uses left"
        raise VoucherAlreadyUsed(f"voucher {voucher.code} {single}")
    if voucher.per_customer_limit is not None and customer_uses >= voucher.per_customer_limit:
        raise VoucherCustomerLimit(
            f"voucher {voucher.code} can be used {voucher.per_customer_limit} time(s) per customer"
        )
    if order_total < voucher.min_spend:
        raise VoucherMinSpend(
            f"voucher {voucher.code} needs an order of at least {voucher.min_spend} "
            f"{voucher.currency}"
        )


def voucher_discount(voucher: Voucher, order_total: Decimal) -> Decimal:
    """What the voucher takes off an order: never more than the order itself."""
    if voucher.kind == "percent":
        amount = round_half_up(percent_of(order_total, voucher.value), voucher.currency)
    else:
        amount = voucher.value
    return max(ZERO, min(amount, order_total))


def voucher_reward(voucher: Voucher, order_total: Decimal) -> AppliedReward:
    """The snapshot to store when a voucher is used, for the "did it pay off" analysis."""
    what = (
        f"{voucher.value} %" if voucher.kind == "percent" else f"{voucher.value} {voucher.currency}"
    )
    return AppliedReward(
        f"voucher:{voucher.code}",
        "discount",
        voucher_discount(voucher, order_total),
        f"voucher {format_code(voucher.code)}: {what}",
        voucher.currency,
    )
