"""Orders and their status history, drawn per order as numpy arrays.

Each order follows a path through the lifecycle (a till sale, a delivery, a cancellation, a
return…) with realistic delays between stages; whatever would happen after "now" has not
happened yet, which gives the in-flight orders of the last days for free. A few orders are
planted unpaid or stuck for weeks so the follow-up lists have something to show.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from regulars.demo import catalog as C
from regulars.demo.calendar import US_PER_DAY, US_PER_S, Calendar, draw_days
from regulars.demo.customers import KEY, LAPSED, Customers
from regulars.domain.orders import MAIN_LINE, REVENUE, OrderStatus

STATUSES = tuple(OrderStatus)
_S = {s: i for i, s in enumerate(STATUSES)}
_P, _CF, _PD, _PK, _SH, _DL = (_S[s] for s in MAIN_LINE)
_CX, _RT, _RF = _S[OrderStatus.CANCELLED], _S[OrderStatus.RETURNED], _S[OrderStatus.REFUNDED]
_PRT, _PRF = _S[OrderStatus.PARTLY_RETURNED], _S[OrderStatus.PARTLY_REFUNDED]
_DELIVERY = (_P, _CF, _PD, _PK, _SH, _DL)
PATHS = (
    (_P, _PD, _DL),  # 0 till sale
    (_P, _CX),  # 1 voided at the till
    (_P, _PD, _DL, _PRT),  # 2 till sale, part brought back
    _DELIVERY,  # 3 delivery
    (_P, _CX),  # 4 cancelled before confirmation
    (_P, _CF, _CX),  # 5 cancelled after confirmation
    (*_DELIVERY, _RT, _RF),  # 6 returned and refunded
    (*_DELIVERY, _PRT),  # 7 partly returned
    (*_DELIVERY, _RF),  # 8 refunded (damaged on the way)
    (*_DELIVERY, _PRF),  # 9 partly refunded
)
TILL, DELIVERY, RETURNED = 0, 3, 6
MAX_STEPS = max(len(p) for p in PATHS)
_PATH = np.full((len(PATHS), MAX_STEPS), -1, dtype=np.int8)
for _i, _p in enumerate(PATHS):
    _PATH[_i, : len(_p)] = _p
_PATH_LEN = np.array([len(p) for p in PATHS])
_TILL_MIX = np.array([0.985, 0.007, 0.008])  # paths 0..2
_DELIVERY_MIX = np.array([0.0, 0.0, 0.0, 0.923, 0.02, 0.02, 0.008, 0.012, 0.008, 0.009])
# Seconds between the previous stage and this one: (low, high) for deliveries, then the till.
_DELAY = {
    _CF: (300, 10_800),
    _PD: (600, 172_800),
    _PK: (7_200, 86_400),
    _SH: (3_600, 43_200),
    _DL: (86_400, 518_400),
    _CX: (3_600, 172_800),
    _RT: (172_800, 864_000),
    _RF: (86_400, 432_000),
    _PRT: (172_800, 1_209_600),
    _PRF: (86_400, 864_000),
}
_TILL_DELAY = {_PD: (20, 180), _DL: (0, 120), _CX: (30, 600)}
CHANNELS = ("store", "web", "marketplace", "phone", "sales_rep")
STORES = (
    *(s for shops in C.SHOPS.values() for s in shops),
    C.WEB_STORE,
    *C.MARKETPLACES,
    C.HOTLINE,
    C.WHOLESALE_DESK,
)
REVENUE_CODES = np.array([s in REVENUE for s in STATUSES])


@dataclass
class Orders:
    customer: np.ndarray  # customer index
    placed_us: np.ndarray
    channel: np.ndarray
    store: np.ndarray  # index into STORES
    path: np.ndarray
    reached: np.ndarray  # how many stages of the path happened before now
    offset_s: np.ndarray  # (m, MAX_STEPS) seconds from placing to each stage (int32)
    value: np.ndarray  # the basket's target value, VND
    n_lines: np.ndarray
    gift: np.ndarray  # bool: bought in a gift season
    held: np.ndarray  # bool: stuck in transit (customs)

    @property
    def m(self) -> int:
        return len(self.customer)

    @property
    def status(self) -> np.ndarray:
        return _PATH[self.path, self.reached - 1]

    @property
    def changed_us(self) -> np.ndarray:
        last = self.offset_s[np.arange(self.m), self.reached - 1].astype(np.int64)
        return self.placed_us + last * US_PER_S

    @property
    def revenue(self) -> np.ndarray:
        return REVENUE_CODES[self.status]

    def take(self, order: np.ndarray) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name)[order])


def plan_orders(c: Customers, cal: Calendar, rng: np.random.Generator) -> Orders:
    """Every order of every customer, sorted by the time it was placed."""
    cust = np.repeat(np.arange(c.n), c.n_orders)
    m = len(cust)
    first = np.ones(m, dtype=bool)
    first[1:] = cust[1:] != cust[:-1]
    second = np.zeros(m, dtype=bool)
    second[1:] = first[:-1] & ~first[1:]
    company = c.company[cust]
    u = rng.random(m)
    day = np.where(
        company,
        draw_days(cal.company_cdf, c.start_day[cust], c.end_day[cust], u),
        draw_days(cal.person_cdf, c.start_day[cust], c.end_day[cust], u),
    )
    day = np.where(first, c.start_day[cust], day)
    stops = second & np.isin(c.segment[cust], [LAPSED, KEY])
    day = np.where(stops, c.end_day[cust], day)  # lapsed ones: the last order is the last day

    channel = _channels(c, cust, rng)
    placed = cal.day_start_us[day] + _time_of_day(channel, rng) * US_PER_S
    key = c.key_account[cust] >= 0
    path = np.where(
        channel == 0,
        rng.choice(len(_TILL_MIX), m, p=_TILL_MIX),
        rng.choice(len(_DELIVERY_MIX), m, p=_DELIVERY_MIX),
    )
    plain = first | key | (c.duplicate_of[cust] >= 0)
    path = np.where(plain, np.where(channel == 0, TILL, DELIVERY), path)
    path = np.where(key & (rng.random(m) < 0.03), 7, path)
    gift = cal.gift_season[day]
    season = np.where(gift, np.where(company, 1.3, 1.6), 1.0)
    value = c.value[cust] * np.exp(rng.normal(0.0, 0.35, m)) * season
    n_lines = np.where(
        company, 2 + np.minimum(rng.poisson(1.5, m), 6), 1 + np.minimum(rng.poisson(0.9, m), 5)
    )
    orders = Orders(
        customer=cust,
        placed_us=placed,
        channel=channel.astype(np.int8),
        store=_stores(c, cust, channel, rng),
        path=path.astype(np.int8),
        reached=_PATH_LEN[path].astype(np.int8),
        offset_s=_offsets(path, channel == 0, rng),
        value=value,
        n_lines=n_lines.astype(np.int16),
        gift=gift,
        held=np.zeros(m, dtype=bool),
    )
    _cut_at_now(orders, cal.as_of_us)
    _plant_follow_ups(orders, plain, cal.as_of_us, rng)
    orders.take(np.lexsort((orders.customer, orders.placed_us)))
    return orders


def _channels(c: Customers, cust: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shops for people near one, the web and marketplaces for the rest, a rep for companies."""
    m = len(cust)
    dept = c.department[cust]
    shop = rng.choice(5, m, p=[0.62, 0.2, 0.12, 0.06, 0.0])
    online = rng.choice(5, m, p=[0.0, 0.55, 0.4, 0.05, 0.0])
    b2b = rng.choice(5, m, p=[0.0, 0.2, 0.0, 0.05, 0.75])
    person = np.where(np.isin(dept, list(C.SHOPS)), shop, online)
    return np.where(c.company[cust], b2b, person)


def _stores(
    c: Customers, cust: np.ndarray, channel: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    dept = c.department[cust]
    first_shop = {d: STORES.index(shops[0]) for d, shops in C.SHOPS.items()}
    shops = np.zeros(len(cust), dtype=np.int16)
    for d, shops_of in C.SHOPS.items():
        pick = rng.integers(0, len(shops_of), len(cust))
        shops = np.where(dept == d, first_shop[d] + pick, shops)
    market = rng.choice(len(C.MARKETPLACES), len(cust), p=[0.6, 0.25, 0.15])
    market += STORES.index(C.MARKETPLACES[0])
    other = np.array(
        [0, STORES.index(C.WEB_STORE), 0, STORES.index(C.HOTLINE), STORES.index(C.WHOLESALE_DESK)]
    )[channel]
    return np.select([channel == 0, channel == 2], [shops, market], other).astype(np.int16)


def _time_of_day(channel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Seconds after local midnight: shops 7:00–21:30, online into the night, B2B office hours."""
    m = len(channel)
    part = rng.random(m)
    shop = np.select([part < 0.35, part < 0.7], [rng.uniform(7, 10, m), rng.uniform(10, 17, m)])
    shop = np.where(part >= 0.7, rng.uniform(17, 21.5, m), shop)
    web = np.select([part < 0.25, part < 0.6], [rng.uniform(6, 12, m), rng.uniform(12, 19, m)])
    web = np.where(part >= 0.6, rng.uniform(19, 24, m), web)
    office = rng.uniform(8, 17, m)
    hours = np.select([channel == 0, (channel == 1) | (channel == 2)], [shop, web], office)
    return (hours * 3600).astype(np.int64)


def _offsets(path: np.ndarray, till: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cumulative seconds from placing to each stage; stage 0 is placing itself."""
    m = len(path)
    out = np.zeros((m, MAX_STEPS), dtype=np.int32)
    lo_d = np.zeros(len(STATUSES), dtype=np.int64)
    hi_d = np.zeros(len(STATUSES), dtype=np.int64)
    lo_t, hi_t = lo_d.copy(), hi_d.copy()
    for s, (lo, hi) in _DELAY.items():
        lo_d[s], hi_d[s] = lo, hi
        lo_t[s], hi_t[s] = _TILL_DELAY.get(s, (lo, hi))
    for j in range(1, MAX_STEPS):
        to = np.maximum(_PATH[path, j], 0)
        lo = np.where(till, lo_t[to], lo_d[to])
        hi = np.where(till, hi_t[to], hi_d[to])
        delay = lo + (rng.random(m) * (hi - lo)).astype(np.int64)
        out[:, j] = out[:, j - 1] + delay
    return out


def _cut_at_now(o: Orders, as_of_us: int) -> None:
    """Stages that would come after now have not happened: recent orders are in flight."""
    happened = o.offset_s <= ((as_of_us - o.placed_us) // US_PER_S)[:, None]
    happened &= np.arange(MAX_STEPS)[None, :] < _PATH_LEN[o.path][:, None]
    o.reached = np.maximum(happened.sum(axis=1), 1).astype(np.int8)


def _plant_follow_ups(
    o: Orders, plain: np.ndarray, as_of_us: int, rng: np.random.Generator
) -> None:
    """Unpaid for weeks, stuck after payment for weeks, a return waiting for its refund."""
    age = (as_of_us - o.placed_us) / US_PER_DAY
    delivery = (o.path == DELIVERY) & ~plain & (o.channel != 0)
    k = max(3, round(0.0015 * o.m))
    candidates = np.flatnonzero(delivery & (age >= 16) & (age <= 45))
    if len(candidates) < 2 * k + 2:
        candidates = np.flatnonzero(delivery & (age >= 16) & (age <= 120))
    picked = rng.permutation(candidates)
    unpaid, stuck = picked[:k], picked[k : 2 * k]
    o.reached[unpaid] = rng.integers(1, 3, len(unpaid))  # placed or confirmed
    o.reached[stuck] = rng.integers(3, 6, len(stuck))  # paid, packed or shipped
    o.held[stuck] = o.reached[stuck] == 5
    back = picked[2 * k : 2 * k + 2]
    back = back[(age[back] >= 30)]
    o.path[back] = RETURNED
    o.offset_s[back] = _offsets(o.path[back], np.zeros(len(back), dtype=bool), rng)
    o.reached[back] = 7  # returned, the refund still owed


def status_rows(o: Orders, lo: int, hi: int) -> dict[str, np.ndarray]:
    """The history rows of orders lo..hi-1, in order and stage order."""
    reached = o.reached[lo:hi].astype(np.int64)
    idx = np.repeat(np.arange(lo, hi), reached)
    step = np.arange(len(idx)) - np.repeat(np.cumsum(reached) - reached, reached)
    path = o.path[idx]
    to = _PATH[path, step]
    frm = np.where(step > 0, _PATH[path, np.maximum(step - 1, 0)], -1)
    at = o.placed_us[idx] + o.offset_s[idx, step].astype(np.int64) * US_PER_S
    return {"order": idx, "from": frm, "to": to, "at": at, "held": o.held[idx]}


_NOTES = {
    _CX: ("Customer changed their mind", "Ordered twice by mistake", "Out of stock: offered a substitute, declined", "No answer at delivery address"),  # noqa: E501
    _RT: ("Returned: bag damaged in transit", "Returned: wrong grind size"),
    _PRT: ("One item returned: wrong grind size", "One item returned: gift box dented"),
    _RF: ("Refunded to the original payment method",),
    _PRF: ("Partial refund: delivery was late", "Partial refund: one bag missing"),
}  # fmt: skip


def history_texts(
    to: np.ndarray, held: np.ndarray, lang: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Notes (why it was cancelled, returned…) and locations (where the goods are)."""
    n = len(to)
    note = np.full(n, None, dtype=object)
    pick = rng.integers(0, 1 << 16, n)
    for status, texts in _NOTES.items():
        at = np.flatnonzero(to == status)
        note[at] = np.array(texts, dtype=object)[pick[at] % len(texts)]
    location = np.full(n, None, dtype=object)
    shipped = to == _SH
    warehouse = np.array([C.WAREHOUSE[code] for code in C.LANGS], dtype=object)
    location[shipped] = warehouse[lang[shipped]]
    location[shipped & held] = C.CUSTOMS_HOLD
    return note, location
