"""Coalition settlement: value earned at one member and spent at another is owed between them.

The member where a customer spends gave goods for value another member issued, so the issuer
pays the spender. Positions sum to zero by construction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Consumption:
    """`amount` of a lot earned at `earned_at` spent at `spent_at` (member ids)."""

    earned_at: int
    spent_at: int
    amount: int


@dataclass(frozen=True, slots=True)
class Obligation:
    debtor: int
    creditor: int
    amount: int


def obligations(consumptions: Iterable[Consumption]) -> list[Obligation]:
    """Net what each pair of members owes: one line per pair, the debtor first."""
    gross: dict[tuple[int, int], int] = {}
    for c in consumptions:
        if c.earned_at == c.spent_at or c.amount == 0:
            continue
        key = (c.earned_at, c.spent_at)
        gross[key] = gross.get(key, 0) + c.amount
    out: list[Obligation] = []
    for a, b in sorted({tuple(sorted(k)) for k in gross}):
        net = gross.get((a, b), 0) - gross.get((b, a), 0)  # a owes b when positive
        if net > 0:
            out.append(Obligation(a, b, net))
        elif net < 0:
            out.append(Obligation(b, a, -net))
    return out


def positions(lines: Iterable[Obligation]) -> dict[int, int]:
    """Each member's net position: positive = receives, negative = pays; the values sum to zero."""
    out: dict[int, int] = {}
    for o in lines:
        out[o.debtor] = out.get(o.debtor, 0) - o.amount
        out[o.creditor] = out.get(o.creditor, 0) + o.amount
    return out
