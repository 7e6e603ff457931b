"""Money as Decimal with its currency; rounding lives here, with each currency's minor units."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import get_currency_precision

from regulars.domain.errors import InvalidMoney


@lru_cache(maxsize=512)
def minor_units(currency: str) -> int:
    """Digits after the decimal point for a currency (VND 0, THB 2, KWD 3)."""
    return int(get_currency_precision(currency))


@lru_cache(maxsize=512)
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def normalize_currency(code: str) -> str:
    """Validate an ISO 4217 code; unknown codes are refused rather than guessed."""
    cur = (code or "").strip().upper()
    if len(cur) != 3 or not cur.isalpha():
        raise InvalidMoney(f"{code!r} is not an ISO 4217 currency code", field="currency")
    if _is_known(cur):
        return cur
    raise InvalidMoney(f"unknown currency {code!r}", field="currency")


@lru_cache(maxsize=512)
def _is_known(cur: str) -> bool:
    from babel.numbers import list_currencies

    return cur in list_currencies()


MAX_DIGITS = 15  # whole digits an amount may have (a quadrillion, even in VND or IDR)


def parse_amount(text: str, currency: str, *, field: str = "amount") -> Decimal:
    """Parse a decimal amount, refusing more decimals than the currency has (no silent rounding)."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise InvalidMoney(f"{text!r} is not a number", field=field) from None
    if not value.is_finite():
        raise InvalidMoney(f"{text!r} is not a finite number", field=field)
    if value.adjusted() >= MAX_DIGITS:  # beyond any real price; also past Decimal's precision
        raise InvalidMoney(f"{text!r} is too large an amount", field=field)
    if value != value.quantize(_quantum(currency), rounding=ROUND_HALF_UP):
        raise InvalidMoney(
            f"{text!r} has more decimals than {currency} allows ({minor_units(currency)})",
            field=field,
        )
    return value


def to_minor(amount: Decimal, currency: str) -> int:
    """Decimal amount -> integer minor units, rounding half up in the currency's precision."""
    return int(
        amount.quantize(_quantum(currency), rounding=ROUND_HALF_UP).scaleb(minor_units(currency))
    )


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_units(currency))


@dataclass(frozen=True, slots=True)
class Money:
    """An amount that always carries its currency; arithmetic across currencies is refused."""

    amount: Decimal
    currency: str

    @classmethod
    def of_minor(cls, minor: int, currency: str) -> Money:
        return cls(from_minor(minor, currency), currency)

    @property
    def minor(self) -> int:
        return to_minor(self.amount, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidMoney(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def rounded(self) -> Money:
        return Money(from_minor(self.minor, self.currency), self.currency)

    def __str__(self) -> str:
        return f"{self.amount:.{minor_units(self.currency)}f} {self.currency}"
