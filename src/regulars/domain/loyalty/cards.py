"""Card numbers: the program's fixed prefix, a serial and a Luhn check digit (typos are caught)."""

from __future__ import annotations

from regulars.domain.loyalty.errors import InvalidCardNumber

PREFIX_DIGITS = 6
SERIAL_DIGITS = 9
NUMBER_DIGITS = PREFIX_DIGITS + SERIAL_DIGITS + 1


def luhn_digit(payload: str) -> str:
    """The check digit that makes `payload + digit` pass the Luhn test."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:  # doubled: the check digit will sit to its right
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def program_prefix(program_id: int) -> str:
    """A fixed prefix per program, so a number tells which program it belongs to."""
    if not 0 < program_id < 10**PREFIX_DIGITS:
        raise ValueError("program id out of range for a card prefix")
    return f"{program_id:0{PREFIX_DIGITS}d}"


def make_number(prefix: str, serial: int) -> str:
    if not 0 <= serial < 10**SERIAL_DIGITS:
        raise ValueError("serial out of range")
    payload = f"{prefix}{serial:0{SERIAL_DIGITS}d}"
    return payload + luhn_digit(payload)


def normalize_number(text: str) -> str:
    """Accept spaces and dashes as printed on cards; refuse anything that fails the check digit."""
    digits = "".join(ch for ch in (text or "") if ch not in " -")
    if not digits.isdigit() or len(digits) != NUMBER_DIGITS:
        raise InvalidCardNumber(
            f"{text!r} is not a card number ({NUMBER_DIGITS} digits)", field="card"
        )
    if luhn_digit(digits[:-1]) != digits[-1]:
        raise InvalidCardNumber(f"{text!r}: wrong check digit (a typo?)", field="card")
    return digits


def prefix_of(number: str) -> str:
    return number[:PREFIX_DIGITS]
