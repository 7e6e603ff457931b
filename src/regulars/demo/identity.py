"""Names for every customer and for the people inside companies.

People get a name from their language's pool (distinct names while the pool lasts, realistic
repeats beyond); companies get a trade name and a legal name; planted duplicates get their
original's name written without accents, as a hurried cashier would type it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from regulars.demo import catalog as C
from regulars.demo.calendar import Calendar, same_day
from regulars.demo.customers import Customers
from regulars.demo.dossier import (
    COMPANY_CONTACTS,
    KEY_ACCOUNTS,
    KEY_CONTACTS,
    STANCE_WEIGHTS,
    STANCES,
)
from regulars.demo.people import company_pool, person_pool
from regulars.domain.names import name_key

POOL_CAP = 25_000  # distinct full names per language; beyond it names repeat, as in life


@dataclass
class Names:
    display: np.ndarray
    family: np.ndarray
    given: np.ndarray
    middle: np.ndarray
    legal: np.ndarray
    key: np.ndarray
    local: np.ndarray  # e-mail local part (people) before digits
    domain: np.ndarray  # companies' web domain


@dataclass
class Contacts:
    company: np.ndarray  # customer index
    level: np.ndarray
    title: np.ndarray
    department: np.ndarray
    role: np.ndarray
    stance: np.ndarray
    display: np.ndarray
    family: np.ndarray
    given: np.ndarray
    local: np.ndarray
    lang: np.ndarray
    birthday: np.ndarray

    @property
    def n(self) -> int:
        return len(self.company)


def _empty(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


def plan_contacts(c: Customers, cal: Calendar, rng: np.random.Generator) -> Contacts:
    """Key accounts get the full map of seven people; other companies one to four."""
    count = np.where(c.company, 1 + np.minimum(rng.poisson(1.0, c.n), 3), 0)
    count = np.where(c.key_account >= 0, len(KEY_CONTACTS), count)
    company = np.repeat(np.arange(c.n), count)
    rank = np.arange(len(company)) - np.repeat(np.cumsum(count) - count, count)
    key = c.key_account[company] >= 0
    plain = np.array([s[:4] for s in COMPANY_CONTACTS], dtype=object)
    full = np.array([s for s in KEY_CONTACTS], dtype=object)
    spec = np.where(
        key[:, None],
        full[np.minimum(rank, len(full) - 1)],
        np.concatenate([plain, np.full((len(plain), 1), None, dtype=object)], axis=1)[
            np.minimum(rank, len(plain) - 1)
        ],
    )
    stance = np.array([s.value for s in STANCES], dtype=object)[
        rng.choice(len(STANCES), len(company), p=STANCE_WEIGHTS)
    ]
    stance = np.where(key, np.array([str(s) for s in spec[:, 4]], dtype=object), stance)
    n = len(company)
    years = rng.uniform(25, 62, n)
    today = np.datetime64(cal.today, "D")
    birthday = (today - (years * 365.25).astype("timedelta64[D]")).astype("datetime64[D]")
    birthday = np.where(key | (rng.random(n) < 0.5), birthday, np.datetime64("NaT"))
    ceo = np.flatnonzero((c.key_account[company] == 0) & (rank == 1))
    if len(ceo):  # the biggest account's CEO has a birthday in the coming week
        soon = cal.today + timedelta(days=2)
        birthday[ceo[0]] = same_day(int(str(birthday[ceo[0]])[:4]), soon)
    return Contacts(
        company=company,
        level=np.array([str(v) for v in spec[:, 0]], dtype=object),
        title=spec[:, 1].astype(object),
        department=spec[:, 2].astype(object),
        role=np.array([str(v) for v in spec[:, 3]], dtype=object),
        stance=stance,
        display=_empty(n),
        family=_empty(n),
        given=_empty(n),
        local=_empty(n),
        lang=c.lang[company],
        birthday=birthday,
    )


def name_everyone(
    c: Customers, contacts: Contacts, staff_count: int, seed: int, rng: np.random.Generator
) -> tuple[Names, dict[str, np.ndarray]]:
    """Names of customers and contacts (in place); returns the names and the staff's names."""
    n = c.n
    names = Names(*(_empty(n) for _ in range(8)))
    staff: dict[str, np.ndarray] = {}
    for li, lang in enumerate(C.LANGS):
        people = np.flatnonzero(~c.company & (c.lang == li) & (c.duplicate_of < 0))
        inside = np.flatnonzero(contacts.lang == li)
        extra = staff_count if lang == "vi" else 0
        need = len(people) + len(inside) + extra
        if need:
            pool = person_pool(lang, min(need, POOL_CAP), seed)
            pick = _draw(len(pool), need, rng)
            a, b = len(people), len(people) + len(inside)
            for target, sel, idx in ((names, people, pick[:a]), (contacts, inside, pick[a:b])):
                target.display[sel] = pool.display[idx]
                target.family[sel] = pool.family[idx]
                target.given[sel] = pool.given[idx]
                target.local[sel] = pool.local[idx]
            names.middle[people] = pool.middle[pick[:a]]
            names.key[people] = pool.key[pick[:a]]
            if extra:
                staff = {
                    "display": pool.display[pick[b:]],
                    "family": pool.family[pick[b:]],
                    "given": pool.given[pick[b:]],
                    "local": pool.local[pick[b:]],
                }
        firms = np.flatnonzero(c.company & (c.lang == li) & (c.key_account < 0))
        if len(firms):
            cpool = company_pool(lang, min(len(firms), POOL_CAP), seed)
            idx = _draw(len(cpool.display), len(firms), rng)
            names.display[firms] = cpool.display[idx]
            names.legal[firms] = cpool.legal[idx]
            names.key[firms] = cpool.key[idx]
            names.domain[firms] = _domains(cpool.domain[idx])
    for i, account in enumerate(KEY_ACCOUNTS):
        at = np.flatnonzero(c.key_account == i)
        names.display[at] = account.display
        names.legal[at] = account.legal
        names.key[at] = name_key(account.display, company=True)
        names.domain[at] = account.domain
    _name_duplicates(c, names)
    return names, staff


def _draw(pool: int, need: int, rng: np.random.Generator) -> np.ndarray:
    """Distinct entries while the pool lasts, repeats beyond."""
    if need <= pool:
        return rng.permutation(pool)[:need]
    return rng.integers(0, pool, need)


def _domains(domains: np.ndarray) -> np.ndarray:
    """Two companies with one trade name still have their own web domain."""
    seen: dict[str, int] = {}
    out = []
    for d in domains.tolist():
        k = seen.get(d, 0)
        seen[d] = k + 1
        out.append(d if k == 0 else d.replace(".", f"{k + 1}.", 1))
    return np.array(out, dtype=object)


def _plain(text: str | None) -> str | None:
    if text is None:
        return None
    t = text.replace("Đ", "D").replace("đ", "d")
    return "".join(ch for ch in unicodedata.normalize("NFD", t) if not unicodedata.combining(ch))


def _name_duplicates(c: Customers, names: Names) -> None:
    for i in np.flatnonzero(c.duplicate_of >= 0).tolist():
        o = int(c.duplicate_of[i])
        if C.LANGS[c.lang[i]] == "th":  # Thai has no accents to drop: same name, same phone
            for arr in (names.family, names.given, names.middle, names.display, names.key):
                arr[i] = arr[o]
            names.local[i] = names.local[o]
            continue
        names.family[i] = _plain(names.family[o])
        names.given[i] = _plain(names.given[o])
        names.middle[i] = _plain(names.middle[o])
        names.display[i] = _plain(names.display[o])
        names.key[i] = name_key(names.display[i])
        names.local[i] = names.local[o]
