"""What the loyalty use cases return: frozen, typed, JSON-ready (amounts are Decimal in units).

Write results can be stored on their journal entry and rebuilt, so a retried request with the
same idempotency key gets exactly the first answer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")


class BasketLine(NamedTuple):
    """One line of a basket at the till (unit price in the order's currency)."""

    sku: str
    quantity: Decimal | int | str
    unit_price: Decimal | int | str
    category: str | None = None


@dataclass(frozen=True, slots=True)
class ProgramInfo:
    code: str
    owner: str  # owner business slug
    kind: str  # cashback | points
    currency: str
    unit: str  # the balance's unit: the currency, or "points"
    point_value: Decimal
    cashback_percent: Decimal
    points_per_unit: Decimal
    tiers: tuple[str, ...]  # "code:threshold:discount"
    expiry_months: int | None
    max_redeem_percent: Decimal
    repeat_order_discount_percent: Decimal
    members: tuple[str, ...]  # business slugs, owner first


@dataclass(frozen=True, slots=True)
class MemberInfo:
    program: str
    business: str
    role: str
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class CardInfo:
    number: str
    program: str
    kind: str  # personal | bearer
    status: str  # active | blocked | replaced
    tier: str | None
    customer_id: int | None  # None for bearer cards, and for a partner (no dossier access)
    replaced_by: str | None
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class CardBalance:
    number: str
    program: str
    unit: str
    available: Decimal
    pending: Decimal
    tier: str | None
    status: str


@dataclass(frozen=True, slots=True)
class Reward:
    """One applied reward as snapshotted on the entry."""

    rule: str
    amount: Decimal
    reason: str


@dataclass(frozen=True, slots=True)
class QuoteResult:
    """What the till would get, computed from the rules; nothing is written."""

    card: str
    tier: str | None
    currency: str
    total: Decimal  # basket before discount
    discount: Decimal  # money off this order (tier, repeat order)
    to_pay: Decimal
    earn: Decimal  # value credited if accrued on to_pay (program units)
    max_redeem: Decimal  # the most of the balance usable on this order (program units)
    available: Decimal
    rewards: tuple[Reward, ...]


@dataclass(frozen=True, slots=True)
class AccrualResult:
    entry_id: int
    card: str
    order: str
    earned: Decimal
    pending: bool  # True: waits for the order's payment
    available: Decimal  # card balances after the entry
    pending_balance: Decimal
    tier: str | None
    rewards: tuple[Reward, ...]
    replayed: bool = False  # True: the same idempotency key was seen; nothing was written


@dataclass(frozen=True, slots=True)
class RedemptionResult:
    entry_id: int
    card: str
    order: str
    redeemed: Decimal
    available: Decimal
    pending_balance: Decimal
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class RefundResult:
    entry_id: int | None  # None when there was nothing to move
    order: str
    refunded: Decimal  # of the order's amount, this time (order currency)
    refunded_total: Decimal  # of the order's amount, all refunds so far
    reversed: Decimal  # earned value taken back (program units)
    given_back: Decimal  # redeemed value returned to the card
    unrecovered: Decimal  # earned value already spent, which could not be taken back
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class OrderSettled:
    """Result of `mark_paid` and `cancel_order`: what moved for the order."""

    order: str
    made_available: Decimal
    released: Decimal  # pending value dropped (cancel)
    given_back: Decimal  # redemptions returned (cancel)
    entries: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ReplacementResult:
    old: str
    new: str
    moved_available: Decimal
    moved_pending: Decimal
    entry_id: int | None


@dataclass(frozen=True, slots=True)
class ExpiredCard:
    number: str
    program: str
    expired: Decimal
    entry_id: int


@dataclass(frozen=True, slots=True)
class ExpiryRun:
    at: datetime
    cards: tuple[ExpiredCard, ...]


@dataclass(frozen=True, slots=True)
class ExpiringValue:
    number: str
    program: str
    customer_id: int | None
    amount: Decimal
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class LedgerReport:
    ok: bool
    entries: int
    accounts: int
    lots: int
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class SettlementLine:
    debtor: str  # business slug that pays
    creditor: str
    amount: Decimal  # in the program's currency (points valued at point_value)


@dataclass(frozen=True, slots=True)
class Settlement:
    program: str
    period: str
    currency: str
    lines: tuple[SettlementLine, ...]
    positions: dict[str, Decimal]  # slug → net (+ receives, − pays); sums to zero


def to_record(result: Any) -> dict[str, Any]:
    """A result as plain JSON values (Decimal → str, datetime → ISO) for the journal entry."""

    def plain(v: Any) -> Any:
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, datetime):
            return v.isoformat()
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, tuple | list):
            return [plain(x) for x in v]
        return v

    out: dict[str, Any] = plain(result)
    return out


def from_record(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a stored result; the types of the dataclass's fields say how."""
    hints = {f.name: f.type for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        hint = str(hints.get(name, ""))
        if hint.startswith("Decimal") and value is not None:
            value = Decimal(value)
        elif hint.startswith("tuple[Reward"):
            value = tuple(Reward(r["rule"], Decimal(r["amount"]), r["reason"]) for r in value or ())
        elif hint.startswith("tuple[int"):
            value = tuple(value)
        kwargs[name] = value
    return cls(**kwargs)
