"""Order lines: which products, how many, at what price; order totals are their sum.

A line's product is drawn among what its share of the basket can buy (nobody puts a
24-million grinder in a 200,000 VND basket), so a basket's total follows its target value and
spend keeps each customer's heavy tail. The key accounts are then sized against everybody
else's real revenue, so each brings its planned share whatever the number of customers or the
seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from regulars.demo import catalog as C
from regulars.demo.customers import Customers
from regulars.demo.dossier import KEY_ACCOUNTS
from regulars.demo.orders import Orders

PRICES = np.array([p.price for p in C.PRODUCTS], dtype=np.int64)
_PER_KG = np.array([p.per_kg for p in C.PRODUCTS])
_MACHINE = np.array([p.category == C.MACHINE_CATEGORY for p in C.PRODUCTS])
_GIFT = np.array([p.category == C.GIFT_CATEGORY for p in C.PRODUCTS])
_KEY_CATEGORIES = {C.WHOLESALE_CATEGORY, "Whole bean coffee"}
AFFORD = 1.5  # a line may cost up to this many times its share of the basket

# Products by price, and per kind of buyer (person, company, key account) the cumulative
# weight of how often they buy each, in that price order: a prefix is "what they can afford".
_BY_PRICE = np.argsort(PRICES, kind="stable")
_SORTED_PRICES = PRICES[_BY_PRICE]
PERSON, COMPANY, KEY = 0, 1, 2
_WEIGHTS = np.array(
    [
        [p.person_w for p in C.PRODUCTS],
        [p.company_w for p in C.PRODUCTS],
        [p.company_w if p.category in _KEY_CATEGORIES and not p.per_kg else 0 for p in C.PRODUCTS],
    ]
)
_CUM = np.cumsum(_WEIGHTS[:, _BY_PRICE], axis=1)
_ALLOWED = [_BY_PRICE[_WEIGHTS[k, _BY_PRICE] > 0] for k in range(3)]  # what they buy, by price


def _next_dearer() -> np.ndarray:
    """Per kind of buyer: the next dearer product they buy, after each product."""
    out = np.zeros((3, len(PRICES)), dtype=np.int64)
    for k, allowed in enumerate(_ALLOWED):
        out[k] = allowed[0]
        out[k, allowed] = np.roll(allowed, -1)
    return out


_NEXT = _next_dearer()


@dataclass
class Lines:
    order: np.ndarray  # index into the sorted orders
    line_no: np.ndarray
    product: np.ndarray  # index into catalog.PRODUCTS
    q_milli: np.ndarray  # quantity in thousandths (kg products come in halves)
    total: np.ndarray  # VND, exact: q_milli * price / 1000

    @property
    def price(self) -> np.ndarray:
        return PRICES[self.product]


def make_lines(o: Orders, c: Customers, rng: np.random.Generator) -> tuple[Lines, np.ndarray]:
    """Lines of every order and each order's total (int64 VND)."""
    n = o.n_lines.astype(np.int64)
    order = np.repeat(np.arange(o.m), n)
    starts = np.cumsum(n) - n
    line_no = np.arange(len(order)) - np.repeat(starts, n) + 1
    cust = o.customer[order]
    kind = np.where(c.key_account[cust] >= 0, KEY, np.where(c.company[cust], COMPANY, PERSON))
    u = rng.random(len(order))
    gift_u = rng.random(len(order))
    want = o.value[order] / n[order] * np.exp(rng.normal(0.0, 0.3, len(order)))
    zeros = [np.zeros(len(order), dtype=np.int64) for _ in range(3)]
    lines = Lines(order, line_no.astype(np.int16), *zeros)
    plain = np.flatnonzero(kind != KEY)
    _fill(lines, plain, want[plain], kind[plain], u[plain])
    # In the weeks before Tết and mid-autumn, many baskets open with a gift box.
    gift = plain[o.gift[order[plain]] & (line_no[plain] == 1) & (gift_u[plain] < 0.5)]
    gift = gift[want[gift] * AFFORD >= PRICES[_GIFT].min()]
    _fill(lines, gift, want[gift], kind[gift], u[gift], only=_GIFT)
    _distinct(lines, plain, kind[plain], want[plain])
    totals = np.add.reduceat(lines.total, starts)
    _size_key_accounts(o, c, lines, totals, kind, u)
    totals = np.add.reduceat(lines.total, starts)
    return lines, totals


def _pick(u: np.ndarray, want: np.ndarray, kind: np.ndarray, only: np.ndarray | None) -> np.ndarray:
    """A product each line's buyer buys, among those its share of the basket affords."""
    out = np.zeros(len(u), dtype=np.int64)
    limit = np.searchsorted(_SORTED_PRICES, want * AFFORD, side="right")
    for k in (PERSON, COMPANY, KEY):
        at = np.flatnonzero(kind == k)
        if not len(at):
            continue
        cum = _CUM[k] if only is None else np.cumsum((_WEIGHTS[k] * only)[_BY_PRICE])
        cheapest = int(np.argmax(cum > 0))
        lim = np.maximum(limit[at], cheapest + 1)
        pos = np.searchsorted(cum, u[at] * cum[lim - 1], side="right")
        out[at] = _BY_PRICE[np.minimum(pos, lim - 1)]
    return out


def _fill(
    lines: Lines,
    at: np.ndarray,
    want: np.ndarray,
    kind: np.ndarray,
    u: np.ndarray,
    only: np.ndarray | None = None,
) -> None:
    """Choose products for the lines `at` and size their quantities to `want`."""
    lines.product[at] = _pick(u, want, kind, only)
    _size(lines, at, want, kind)


def _size(lines: Lines, at: np.ndarray, want: np.ndarray, kind: np.ndarray) -> None:
    """Units for most products, half kilos for loose beans, one machine at a time."""
    product = lines.product[at]
    q = want / PRICES[product]
    q = np.where(_PER_KG[product], np.maximum(0.5, np.rint(q * 2) / 2), np.maximum(1.0, np.rint(q)))
    q = np.where(_MACHINE[product], 1.0, q)
    q = np.where(kind == PERSON, np.minimum(q, 30), q)
    lines.q_milli[at] = np.rint(q * 1000).astype(np.int64)
    lines.total[at] = lines.q_milli[at] * PRICES[product] // 1000


def _distinct(lines: Lines, at: np.ndarray, kind: np.ndarray, want: np.ndarray) -> None:
    """No product twice in one order: a repeat moves to the next dearer product that fits.

    Lines of one order are adjacent and few, so comparing each line with the few before it
    (shifted arrays) finds every repeat without sorting ten million lines.
    """
    order = lines.order[at]
    product = lines.product[at]
    moved_any = np.zeros(len(at), dtype=bool)
    longest = int(np.bincount(order).max(initial=1)) if len(order) else 1
    for _ in range(30):
        clash = np.zeros(len(order), dtype=bool)
        for k in range(1, longest):
            clash[k:] |= (order[k:] == order[:-k]) & (product[k:] == product[:-k])
        moved = np.flatnonzero(clash)
        if not len(moved):
            break
        moved_any[moved] = True
        product[moved] = _NEXT[kind[moved], product[moved]]
    lines.product[at] = product
    again = at[moved_any]
    _size(lines, again, want[moved_any], kind[moved_any])


def _size_key_accounts(
    o: Orders, c: Customers, lines: Lines, totals: np.ndarray, kind: np.ndarray, u: np.ndarray
) -> None:
    """Fill the key accounts' baskets so each brings its planned share of all revenue."""
    key_of_order = c.key_account[o.customer]
    revenue = o.revenue
    rest = int(totals[(key_of_order < 0) & revenue].sum())
    planned = sum(a.share for a in KEY_ACCOUNTS)
    for i, account in enumerate(KEY_ACCOUNTS):
        mine = key_of_order == i
        counted = mine & revenue
        if not counted.any():
            continue
        target = account.share * rest / (1.0 - planned)
        weight = np.where(mine, o.value, 0.0)
        per_order = target * weight / weight[counted].sum()
        at = np.flatnonzero(key_of_order[lines.order] == i)
        want = per_order[lines.order[at]] / o.n_lines[lines.order[at]]
        _fill(lines, at, want, kind[at], u[at])
        _distinct(lines, at, kind[at], want)
