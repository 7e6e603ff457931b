"""Who the customers are and how they buy: one numpy array per attribute, one entry per customer.

A customer's behaviour is drawn once (segment, buying window, how often, how much) and every
order follows from it, so the shapes the documents talk about appear by construction: a
heavy tail of spend (Pareto), regulars, one-time buyers, and regulars who stopped (lapsed).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta

import numpy as np

from regulars.demo import catalog as C
from regulars.demo.calendar import Calendar, draw_days, same_day
from regulars.demo.dossier import KEY_ACCOUNTS

PROSPECT, ONE_TIME, NEW, OCCASIONAL, REGULAR, LAPSED, KEY = range(7)
SEGMENT_NAMES = ("prospect", "one_time", "new", "occasional", "regular", "lapsed", "key")
_PERSON_SEGMENTS = np.array([0.03, 0.30, 0.04, 0.33, 0.22, 0.08])
_COMPANY_SEGMENTS = np.array([0.08, 0.12, 0.0, 0.30, 0.38, 0.12])
_PERSON_LANGS = np.array([0.62, 0.12, 0.10, 0.08, 0.08])  # order of catalog.LANGS
_COMPANY_LANGS = np.array([0.55, 0.12, 0.15, 0.09, 0.09])
COMPANY_SHARE = 0.07
PERSON_VALUE, PERSON_SIGMA = 260_000.0, 0.5  # median basket of a person, VND, and its spread
COMPANY_VALUE, COMPANY_SIGMA = 1_000_000.0, 0.7
RATES = (0.2, 0.5, 0.5)  # orders per month: occasional, regular, lapsed (median)
COMPANY_RATE = 1.2  # companies order this much more often
MAX_ORDINARY_SHARE = 0.03  # of the expected spend of all ordinary customers
LAPSED_MIN_QUIET = 120  # days without an order that make a regular "lapsed" in the demo


@dataclass
class Customers:
    company: np.ndarray  # bool
    lang: np.ndarray  # index into catalog.LANGS
    segment: np.ndarray
    key_account: np.ndarray  # index into KEY_ACCOUNTS, or -1
    department: np.ndarray
    city: np.ndarray  # index into catalog.VN_CITIES, or -1 for customers abroad
    start_day: np.ndarray  # first order (a history day index)
    end_day: np.ndarray  # last day an order may fall on
    n_orders: np.ndarray
    value: np.ndarray  # typical order value, VND (float: a scale, not money)
    birthday: np.ndarray  # datetime64[D], NaT when unknown
    founded: np.ndarray  # datetime64[D], NaT when unknown
    duplicate_of: np.ndarray  # index of the customer this one duplicates, or -1

    @property
    def n(self) -> int:
        return len(self.company)

    def take(self, order: np.ndarray) -> None:
        """Reorder every attribute (customer ids follow the order customers arrived)."""
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name)[order])
        dup = self.duplicate_of
        self.duplicate_of = np.where(dup >= 0, inverse[np.maximum(dup, 0)], -1)


def plan_customers(n: int, cal: Calendar, rng: np.random.Generator) -> Customers:
    """Draw every customer's kind, language, segment, buying window and spend."""
    k = len(KEY_ACCOUNTS)
    company = rng.random(n) < COMPANY_SHARE
    company[:k] = True
    lang = np.where(
        company,
        rng.choice(len(C.LANGS), n, p=_COMPANY_LANGS),
        rng.choice(len(C.LANGS), n, p=_PERSON_LANGS),
    ).astype(np.int8)
    segment = np.where(
        company,
        rng.choice(6, n, p=_COMPANY_SEGMENTS / _COMPANY_SEGMENTS.sum()),
        rng.choice(6, n, p=_PERSON_SEGMENTS / _PERSON_SEGMENTS.sum()),
    ).astype(np.int8)
    key_account = np.full(n, -1, dtype=np.int16)
    key_account[:k] = np.arange(k)
    segment[:k] = KEY
    lang[:k] = [C.LANGS.index(a.lang) for a in KEY_ACCOUNTS]

    city, department = _places(company, lang, rng)
    department[:k] = C.KEY
    danang = [name for name, _, _ in C.VN_CITIES].index("Đà Nẵng")
    city[:k] = [danang if a.lang == "vi" else -1 for a in KEY_ACCOUNTS]
    start, end, count = _windows(cal, company, segment, rng)
    lapsed_key = [i for i, a in enumerate(KEY_ACCOUNTS) if a.lapsed_days]
    end[lapsed_key] = cal.days - np.array([KEY_ACCOUNTS[i].lapsed_days for i in lapsed_key])
    start[:k] = rng.integers(0, 60, k)
    months = (end[:k] - start[:k]) / 30.4
    # Fewer, larger key-account orders in a small demo, so baskets stay whole sacks and cases.
    scale = min(1.0, n / 5000)
    count[:k] = np.maximum(12, (months * rng.uniform(2.0, 3.5, k) * scale).astype(np.int64))

    base = np.where(company, COMPANY_VALUE, PERSON_VALUE)
    spread = np.exp(rng.normal(0.0, np.where(company, COMPANY_SIGMA, PERSON_SIGMA)))
    boost = np.array([1.0, 0.8, 0.9, 1.0, 1.25, 1.2, 1.0])[segment]
    value = _cap_spend(base * spread * boost, count, key_account < 0)

    birthday, founded = _birthdays(cal, company, rng)
    birthday[:k] = np.datetime64("NaT")
    founded[:k] = [np.datetime64(a.founded, "D") for a in KEY_ACCOUNTS]
    people = Customers(
        company=company,
        lang=lang,
        segment=segment,
        key_account=key_account,
        department=department,
        city=city,
        start_day=start,
        end_day=end,
        n_orders=count,
        value=value,
        birthday=birthday,
        founded=founded,
        duplicate_of=np.full(n, -1, dtype=np.int64),
    )
    _plant_duplicates(people, rng)
    _plant_anniversaries(people, cal, rng)
    return people


def _cap_spend(value: np.ndarray, count: np.ndarray, ordinary: np.ndarray) -> np.ndarray:
    """No ordinary customer may expect more than a few percent of all spend.

    In a small demo one lucky café could otherwise pass 10 % and pose as a key account; the
    key accounts are the ones the demo plants on purpose.
    """
    value = value.copy()
    for _ in range(3):
        expected = count * value
        cap = MAX_ORDINARY_SHARE * expected[ordinary].sum()
        over = ordinary & (expected > cap)
        value[over] = cap / count[over]
    return value


def _places(
    company: np.ndarray, lang: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Vietnamese customers live in a city served by a shop or by the online shop."""
    n = len(company)
    weights = np.array([w for _, _, w in C.VN_CITIES])
    city = rng.choice(len(C.VN_CITIES), n, p=weights / weights.sum()).astype(np.int16)
    dept_of_city = np.array([d for _, d, _ in C.VN_CITIES], dtype=np.int16)
    department = dept_of_city[city]
    vi = lang == C.LANGS.index("vi")
    # Foreigners: expats and visitors buy in Hồ Chí Minh City shops, the rest online.
    expat = ~vi & (rng.random(n) < 0.4)
    department = np.where(~vi, np.where(expat, C.RETAIL_HCMC, C.ONLINE), department)
    city = np.where(vi | expat, np.where(vi, city, 0), -1).astype(np.int16)
    online = vi & (rng.random(n) < 0.15)
    department = np.where(online, C.ONLINE, department)
    asia = lang == C.LANGS.index("th")
    b2b = np.where(vi, C.HORECA, np.where(asia, C.EXPORT_ASIA, C.EXPORT_WEST))
    department = np.where(company, b2b, department).astype(np.int16)
    city = np.where(company & ~vi, -1, city).astype(np.int16)
    return city, department


def _windows(
    cal: Calendar, company: np.ndarray, segment: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First and last possible order day, and how many orders fall between them."""
    n, last = len(segment), cal.days - 1
    lo = np.zeros(n, dtype=np.int64)
    hi = np.full(n, last, dtype=np.int64)
    hi = np.where(segment == OCCASIONAL, last - 30, hi)
    hi = np.where(segment == REGULAR, last - 90, hi)
    lo = np.where(segment == NEW, last - 60, lo)
    quiet = rng.integers(LAPSED_MIN_QUIET + 5, 420, n)
    lapsed_end = np.maximum(last - quiet, 300)
    hi = np.where(segment == LAPSED, np.maximum(lapsed_end - 270, 0), hi)
    start = draw_days(cal.person_cdf, lo, hi, rng.random(n))
    end = np.where(segment == LAPSED, lapsed_end, last)
    end = np.where((segment == ONE_TIME) | (segment == PROSPECT), start, end)
    months = (end - start) / 30.4
    rate = np.select(
        [segment == OCCASIONAL, segment == REGULAR, segment == LAPSED],
        [
            np.exp(rng.normal(np.log(RATES[0]), 0.4, n)),
            np.exp(rng.normal(np.log(RATES[1]), 0.45, n)),
            np.exp(rng.normal(np.log(RATES[2]), 0.4, n)),
        ],
        0.0,
    )
    rate = np.minimum(rate * np.where(company, COMPANY_RATE, 1.0), 8.0)
    count = 1 + rng.poisson(rate * months)
    count = np.where(segment == LAPSED, np.maximum(count, 6), count)
    count = np.where(segment == NEW, 1 + (rng.random(n) < 0.35), count)
    count = np.where(segment == PROSPECT, 0, count)
    return start.astype(np.int64), end.astype(np.int64), count.astype(np.int64)


def _birthdays(
    cal: Calendar, company: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = len(company)
    band = rng.choice(3, n, p=[0.3, 0.55, 0.15])
    years = np.select([band == 0, band == 1], [rng.uniform(18, 30, n), rng.uniform(30, 60, n)])
    years = np.where(band == 2, rng.uniform(60, 82, n), years)
    today = np.datetime64(cal.today, "D")
    birthday = today - (years * 365.25).astype("timedelta64[D]")
    birthday = np.where(~company & (rng.random(n) < 0.82), birthday, np.datetime64("NaT"))
    age = rng.uniform(2, 38, n)
    founded = today - (age * 365.25).astype("timedelta64[D]")
    founded = np.where(company & (rng.random(n) < 0.75), founded, np.datetime64("NaT"))
    return birthday.astype("datetime64[D]"), founded.astype("datetime64[D]")


def _plant_duplicates(c: Customers, rng: np.random.Generator) -> None:
    """A few people entered twice (once without accents, same phone): something to merge."""
    person = ~c.company
    originals = np.flatnonzero(person & np.isin(c.segment, [OCCASIONAL, REGULAR]))
    copies = np.flatnonzero(person & (c.segment == ONE_TIME))
    k = min(max(2, round(0.004 * person.sum())), len(originals), len(copies))
    if k <= 0:
        return
    dup = rng.choice(copies, k, replace=False)
    orig = rng.choice(originals, k, replace=False)
    c.duplicate_of[dup] = orig
    c.lang[dup] = c.lang[orig]
    c.city[dup] = c.city[orig]
    c.department[dup] = c.department[orig]
    c.birthday[dup] = np.datetime64("NaT")
    c.start_day[dup] = np.maximum(c.start_day[dup], c.start_day[orig] + 1)
    c.end_day[dup] = c.start_day[dup]


def _plant_anniversaries(c: Customers, cal: Calendar, rng: np.random.Generator) -> None:
    """Birthdays, a company birthday and first-deal anniversaries in the coming week."""
    ahead = [cal.today + timedelta(days=d) for d in range(1, 7)]
    with_bday = np.flatnonzero(~np.isnat(c.birthday) & (c.duplicate_of < 0))
    k = min(len(with_bday), max(3, round(0.002 * c.n)))
    for j, i in enumerate(rng.choice(with_bday, k, replace=False)):
        c.birthday[i] = same_day(int(str(c.birthday[i])[:4]), ahead[j % len(ahead)])
    # The biggest key account's company birthday falls in the coming week: greet it.
    c.founded[0] = same_day(int(str(c.founded[0])[:4]), ahead[2])
    buyers = np.flatnonzero(
        np.isin(c.segment, [OCCASIONAL, REGULAR]) & (c.duplicate_of < 0) & (c.key_account < 0)
    )
    k = min(len(buyers), max(3, round(0.002 * c.n)))
    for j, i in enumerate(rng.choice(buyers, k, replace=False)):
        target = ahead[(j + 3) % len(ahead)]
        for back in (1, 2):
            day = cal.day_of(same_day(cal.today.year - back, target).astype(object))
            if 0 <= day <= c.end_day[i] - 30 * (c.segment[i] == REGULAR):
                c.start_day[i] = day
                break
