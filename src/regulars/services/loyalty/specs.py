"""A stored program row ↔ the rules' ProgramSpec, and amounts ↔ the ledger's minor units."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from regulars.domain.loyalty.errors import CurrencyMismatch, InvalidAmount
from regulars.domain.loyalty.program import ProgramKind, ProgramSpec, RuleSpec, Tier, TierMetric
from regulars.domain.money import minor_units, normalize_currency
from regulars.store.loyalty_tables import LoyaltyProgram

_MAX_MINOR = 2**62  # far below BIGINT: sums of many postings still fit


def rules_to_json(rules: RuleSpec) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(rules):
        v = getattr(rules, f.name)
        if isinstance(v, Decimal):
            out[f.name] = str(v)
        elif isinstance(v, Mapping):
            out[f.name] = {k: str(x) for k, x in v.items()}
        else:
            out[f.name] = v
    return out


def rules_from_json(data: Mapping[str, Any]) -> RuleSpec:
    defaults = RuleSpec()
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(RuleSpec):
        if f.name not in data:
            continue
        v = data[f.name]
        current = getattr(defaults, f.name)
        if isinstance(current, Decimal):
            kwargs[f.name] = Decimal(v)
        elif isinstance(current, Mapping):
            kwargs[f.name] = {k: Decimal(x) for k, x in v.items()}
        else:
            kwargs[f.name] = v
    return RuleSpec(**kwargs)


def tiers_to_json(tiers: tuple[Tier, ...]) -> list[dict[str, Any]]:
    return [
        {
            "code": t.code,
            "threshold": str(t.threshold),
            "discount_percent": str(t.discount_percent),
            "name": t.name,
            "perks": list(t.perks),
        }
        for t in tiers
    ]


def tiers_from_json(data: list[Any]) -> tuple[Tier, ...]:
    return tuple(
        Tier(
            d["code"],
            Decimal(d["threshold"]),
            Decimal(d["discount_percent"]),
            d.get("name", ""),
            tuple(d.get("perks", ())),
        )
        for d in data
    )


def spec_of(p: LoyaltyProgram) -> ProgramSpec:
    return ProgramSpec(
        code=p.code,
        currency=p.currency,
        kind=ProgramKind(p.kind),
        point_value=Decimal(p.point_value),
        tiers=tiers_from_json(p.tiers),
        tier_metric=TierMetric(p.tier_metric),
        expiry_months=p.expiry_months,
        rules=rules_from_json(p.rules),
    )


def unit_digits(kind: ProgramKind, currency: str) -> int:
    """Cashback is kept in the currency's minor units; points are whole."""
    return 0 if kind is ProgramKind.POINTS else minor_units(currency)


def unit_name(p: LoyaltyProgram) -> str:
    return "points" if p.kind == ProgramKind.POINTS else p.currency


def units(minor: int, p: LoyaltyProgram) -> Decimal:
    """Ledger minor units → program units (a Decimal with the unit's digits)."""
    return Decimal(minor).scaleb(-p.unit_digits)


def _parse(text: Decimal | int | str, digits: int, field: str, what: str) -> int:
    if isinstance(text, float):
        raise InvalidAmount("give amounts as text or Decimal, never float", field=field)
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise InvalidAmount(f"{text!r} is not a number", field=field) from None
    if not value.is_finite():
        raise InvalidAmount(f"{text!r} is not a finite number", field=field)
    if value <= 0:
        raise InvalidAmount(f"the {field} must be above 0 (got {text})", field=field)
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise InvalidAmount(
            f"{text!r} has more decimals than {what} allows ({digits})", field=field
        )
    if scaled > _MAX_MINOR:
        raise InvalidAmount(f"{text!r} is too large", field=field)
    return int(scaled)


def parse_units(text: Decimal | int | str, p: LoyaltyProgram, *, field: str = "amount") -> int:
    """A positive amount of the program's unit (redeem) → minor units; anything else refused."""
    return _parse(text, p.unit_digits, field, unit_name(p))


def parse_money(text: Decimal | int | str, p: LoyaltyProgram, *, field: str = "amount") -> int:
    """A positive purchase amount in the program's currency → its minor units."""
    return _parse(text, minor_units(p.currency), field, p.currency)


def money(minor: int, p: LoyaltyProgram) -> Decimal:
    return Decimal(minor).scaleb(-minor_units(p.currency))


def check_currency(currency: str | None, p: LoyaltyProgram) -> None:
    """An amount named in another currency than the program's is refused, never converted."""
    if currency is None:
        return
    if normalize_currency(currency) != p.currency:
        raise CurrencyMismatch(
            f"program {p.code} works in {p.currency}, not {currency.upper()}", field="currency"
        )
