"""The ledger's arithmetic: balanced entries, oldest-lot-first spending, proportional refunds.

Pure functions over integer minor units, so every rounding rule is tested without a database.
Rounding always favours the program: a refund never creates value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from regulars.domain.loyalty.errors import InsufficientBalance


class AccountKind(StrEnum):
    """Customer accounts (per card) may never go negative; program accounts may."""

    WALLET = "wallet"  # available on the card
    PENDING = "pending"  # earned, waiting for the order's payment
    CLEARING = "clearing"  # per member: value it issued (−) and value spent there (+)
    EXPIRED = "expired"  # per program: value that lapsed

    @property
    def customer_side(self) -> bool:
        return self in (AccountKind.WALLET, AccountKind.PENDING)


class EntryKind(StrEnum):
    ACCRUE = "accrue"
    PAID = "paid"  # pending → available
    CANCEL = "cancel"  # pending released, redemptions given back
    REDEEM = "redeem"
    REFUND = "refund"
    EXPIRE = "expire"
    REPLACE = "replace"  # balance moved to a new card


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of an entry: `amount` minor units into `account` (negative = out of it)."""

    account: int
    amount: int


class UnbalancedEntry(ValueError):
    """A programming error: an entry whose postings do not sum to zero is never written."""


def check_balanced(postings: Sequence[Posting]) -> None:
    """Postings must sum to zero; none at all is fine (an accrual that earned nothing)."""
    total = sum(p.amount for p in postings)
    if total != 0:
        raise UnbalancedEntry(f"postings sum to {total}, not zero")


def net_by_account(postings: Iterable[Posting]) -> dict[int, int]:
    out: dict[int, int] = {}
    for p in postings:
        out[p.account] = out.get(p.account, 0) + p.amount
    return out


@dataclass(frozen=True, slots=True)
class LotTake:
    lot: int
    amount: int


def take_oldest(lots: Sequence[tuple[int, int]], amount: int) -> list[LotTake]:
    """Consume `amount` from `(lot id, remaining)` pairs in the order given (oldest first)."""
    if amount < 0:
        raise ValueError("cannot take a negative amount")
    available = sum(max(r, 0) for _, r in lots)
    if amount > available:
        raise InsufficientBalance(f"needs {amount}, only {available} available")
    takes: list[LotTake] = []
    left = amount
    for lot, remaining in lots:
        if left == 0:
            break
        n = min(left, remaining)
        if n > 0:
            takes.append(LotTake(lot, n))
            left -= n
    return takes


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True, slots=True)
class RefundShare:
    """What one refund moves: earned value to take back and redeemed value to give back."""

    reverse: int  # earned value to take back now
    give_back: int  # redeemed value to return now


def refund_share(
    *,
    order_total: int,
    refunded_before: int,
    refund: int,
    accrued: int,
    reversed_before: int,
    redeemed: int,
    given_back_before: int,
) -> RefundShare:
    """Proportional shares computed on cumulative totals, so repeated partial refunds never drift.

    Taking back rounds up and giving back rounds down: the customer never ends with more than the
    exact proportion; a full refund takes back exactly all that was earned and gives back exactly
    all that was redeemed.
    """
    if order_total <= 0:
        raise ValueError("order total must be positive")
    if refund <= 0 or refunded_before < 0 or refunded_before + refund > order_total:
        raise ValueError("refund out of bounds")
    done = refunded_before + refund
    reverse_total = _ceil_div(accrued * done, order_total)
    give_total = (redeemed * done) // order_total
    return RefundShare(
        reverse=max(reverse_total - reversed_before, 0),
        give_back=max(give_total - given_back_before, 0),
    )
