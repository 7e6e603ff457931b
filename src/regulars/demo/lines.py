"""Order lines: which products, how many, at what price; order totals are their sum.

Baskets follow the order's target value, so spend keeps each customer's heavy tail. The key
accounts are then sized against everybody else's real revenue, so the largest one brings its
planned share (above 10 %) whatever the number of customers or the seed.
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
_GIFTS = np.flatnonzero([p.category == C.GIFT_CATEGORY for p in C.PRODUCTS])
_KEY_PRODUCTS = {C.WHOLESALE_CATEGORY, "Whole bean coffee"}


def _cdf(weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return np.cumsum(w / w.sum())


_PERSON_CDF = _cdf([p.person_w for p in C.PRODUCTS])
_COMPANY_CDF = _cdf([p.company_w for p in C.PRODUCTS])
_KEY_CDF = _cdf(
    [p.company_w if p.category in _KEY_PRODUCTS and p.price < 20_000_000 else 0 for p in C.PRODUCTS]
)


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
    company = c.company[cust]
    key = c.key_account[cust] >= 0
    u = rng.random(len(order))
    product = np.select(
        [key, company],
        [np.searchsorted(_KEY_CDF, u), np.searchsorted(_COMPANY_CDF, u)],
        np.searchsorted(_PERSON_CDF, u),
    )
    noise = np.exp(rng.normal(0.0, 0.3, len(order)))
    want = o.value[order] / n[order] * noise
    for _ in range(3):  # a basket of 200,000 VND rarely holds a 24-million grinder: draw again
        dear = ~key & (PRICES[np.minimum(product, len(PRICES) - 1)] > 3 * want)
        u = rng.random(len(order))
        again = np.where(company, np.searchsorted(_COMPANY_CDF, u), np.searchsorted(_PERSON_CDF, u))
        product = np.where(dear, again, product)
    gift_line = o.gift[order] & (line_no == 1) & ~key & (rng.random(len(order)) < 0.5)
    product = np.where(gift_line, _GIFTS[rng.integers(0, len(_GIFTS), len(order))], product)
    product = _distinct_in_order(order, np.minimum(product, len(PRICES) - 1), key)
    q_milli = _quantities(want, product, company)
    lines = Lines(order, line_no.astype(np.int16), product.astype(np.int16), q_milli, q_milli)
    lines.total = q_milli * PRICES[product] // 1000
    totals = np.add.reduceat(lines.total, starts)
    _size_key_accounts(o, c, lines, totals, starts, key)
    return lines, totals


def _distinct_in_order(order: np.ndarray, product: np.ndarray, key: np.ndarray) -> np.ndarray:
    """No product twice in one order: a repeat moves to the next product that fits."""
    product = product.copy()
    allowed_key = np.flatnonzero(np.diff(np.concatenate([[0.0], _KEY_CDF])) > 0)
    for _ in range(12):
        sort = np.lexsort((product, order))
        same = np.zeros(len(order), dtype=bool)
        same[1:] = (order[sort][1:] == order[sort][:-1]) & (product[sort][1:] == product[sort][:-1])
        if not same.any():
            break
        moved = sort[same]
        nxt = (product[moved] + 1) % len(PRICES)
        in_key = np.searchsorted(allowed_key, product[moved], side="right") % len(allowed_key)
        product[moved] = np.where(key[moved], allowed_key[in_key], nxt)
    return product


def _quantities(want: np.ndarray, product: np.ndarray, company: np.ndarray) -> np.ndarray:
    """Units for most products, half kilos for loose beans; people buy one machine at most."""
    q = want / PRICES[product]
    units = np.maximum(1.0, np.rint(q))
    halves = np.maximum(0.5, np.rint(q * 2) / 2)
    q = np.where(_PER_KG[product], halves, units)
    q = np.where(_MACHINE[product], np.where(company, np.minimum(q, 3), 1.0), q)
    q = np.where(company, np.minimum(q, 400), np.minimum(q, 30))
    return np.rint(q * 1000).astype(np.int64)


def _size_key_accounts(
    o: Orders,
    c: Customers,
    lines: Lines,
    totals: np.ndarray,
    starts: np.ndarray,
    key: np.ndarray,
) -> None:
    """Scale the key accounts' baskets so each brings its planned share of all revenue."""
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
        at = key & (key_of_order[lines.order] == i)
        want = per_order[lines.order[at]] / o.n_lines[lines.order[at]]
        product = lines.product[at]
        q = np.maximum(1.0, np.rint(want / PRICES[product]))
        lines.q_milli[at] = (q * 1000).astype(np.int64)
        lines.total[at] = lines.q_milli[at] * PRICES[product] // 1000
    mine = key_of_order >= 0
    totals[mine] = np.add.reduceat(lines.total, starts)[mine]
