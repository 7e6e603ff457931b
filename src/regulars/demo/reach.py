"""How to reach each customer: phones, e-mail addresses, postal addresses.

Numbers are valid in the customer's country and distinct (see phones.py); addresses are
distinct too, except that a planted duplicate shares its original's phone, which is how a
shop finds out that one person was entered twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from regulars.demo import catalog as C
from regulars.demo.customers import Customers
from regulars.demo.identity import Contacts, Names
from regulars.demo.people import address_pool, person_emails, unique_emails
from regulars.demo.phones import PhoneBook


@dataclass
class Reach:
    phones: dict[str, np.ndarray]  # customer, contact (-1: the customer), e164, label, primary
    emails: dict[str, np.ndarray]  # customer, contact, address, label, primary
    addresses: dict[str, np.ndarray]  # customer, label, line1, city, region, postal, country
    has_email: np.ndarray  # per customer
    has_mobile: np.ndarray  # per customer
    contact_email: np.ndarray  # per contact


def reach_everyone(
    c: Customers, contacts: Contacts, names: Names, seed: int, rng: np.random.Generator
) -> Reach:
    book = PhoneBook(seed)
    phones, has_mobile = _phones(c, contacts, book, rng)
    emails, has_email, contact_email = _emails(c, contacts, names, rng)
    return Reach(
        phones=phones,
        emails=emails,
        addresses=_addresses(c, seed, rng),
        has_email=has_email,
        has_mobile=has_mobile,
        contact_email=contact_email,
    )


def _by_language(lang: np.ndarray, book: PhoneBook, *, landline: bool = False) -> np.ndarray:
    out = np.empty(len(lang), dtype=object)
    for li, code in enumerate(C.LANGS):
        at = np.flatnonzero(lang == li)
        if len(at):
            out[at] = book.take(code, len(at), landline=landline)
    return out


def _rows(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate row groups and order them by customer, then contact: ids read naturally."""
    rows = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((rows["contact"], rows["customer"]))
    return {k: v[order] for k, v in rows.items()}


def _group(
    customer: np.ndarray, contact: np.ndarray | None, **cols: object
) -> dict[str, np.ndarray]:
    n = len(customer)
    out = {
        "customer": customer,
        "contact": contact if contact is not None else np.full(n, -1, dtype=np.int64),
    }
    for k, v in cols.items():
        out[k] = v if isinstance(v, np.ndarray) else np.full(n, v, dtype=object)
    return out


def _phones(
    c: Customers, contacts: Contacts, book: PhoneBook, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    person = ~c.company
    dup = c.duplicate_of >= 0
    has_mobile = person & ~dup & (rng.random(c.n) < 0.96)
    has_mobile[c.duplicate_of[dup]] = True
    mobile = np.full(c.n, None, dtype=object)
    own = np.flatnonzero(has_mobile)
    mobile[own] = _by_language(c.lang[own], book)
    mobile[dup] = mobile[c.duplicate_of[dup]]
    has_mobile |= dup
    home = np.flatnonzero(person & ~dup & (rng.random(c.n) < 0.08))
    office = np.flatnonzero(c.company)
    firm_mobile = np.flatnonzero(c.company & (rng.random(c.n) < 0.4))
    inside = np.flatnonzero(rng.random(contacts.n) < 0.9)
    at = np.flatnonzero(has_mobile)
    parts = [
        _group(at, None, e164=mobile[at], label="mobile", primary=np.ones(len(at), dtype=bool)),
        _group(home, None, e164=_by_language(c.lang[home], book, landline=True), label="home",
               primary=~has_mobile[home]),
        _group(office, None, e164=_by_language(c.lang[office], book, landline=True),
               label="office", primary=np.ones(len(office), dtype=bool)),
        _group(firm_mobile, None, e164=_by_language(c.lang[firm_mobile], book), label="mobile",
               primary=np.zeros(len(firm_mobile), dtype=bool)),
        _group(contacts.company[inside], inside, e164=_by_language(contacts.lang[inside], book),
               label="mobile", primary=np.ones(len(inside), dtype=bool)),
    ]  # fmt: skip
    has_mobile[firm_mobile] = True
    return _rows(parts), has_mobile


def _emails(
    c: Customers, contacts: Contacts, names: Names, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    person = ~c.company
    has = person & (c.duplicate_of < 0) & (rng.random(c.n) < 0.72)
    has |= c.company & (rng.random(c.n) < 0.95)
    has[c.key_account >= 0] = True
    address = np.full(c.n, None, dtype=object)
    born = c.birthday.astype("datetime64[Y]").astype(np.int64) + 1970
    year = np.where(np.isnat(c.birthday), 1990, born)
    for li, lang in enumerate(C.LANGS):
        at = np.flatnonzero(has & person & (c.lang == li))
        if len(at):
            address[at] = person_emails(lang, names.local[at], year[at], rng)
    firms = np.flatnonzero(has & c.company)
    address[firms] = "info@" + names.domain[firms]
    inside = rng.random(contacts.n) < 0.85
    inside[c.key_account[contacts.company] >= 0] = True
    work = np.full(contacts.n, None, dtype=object)
    at = np.flatnonzero(inside)
    work[at] = contacts.local[at] + "@" + names.domain[contacts.company[at]]
    unique = unique_emails(address.tolist() + work.tolist())
    address = np.array(unique[: c.n], dtype=object)
    work = np.array(unique[c.n :], dtype=object)
    own = np.flatnonzero(has)
    parts = [
        _group(own, None, address=address[own], label=np.where(c.company[own], "work", "personal"),
               primary=np.ones(len(own), dtype=bool)),
        _group(contacts.company[at], at, address=work[at], label="work",
               primary=np.ones(len(at), dtype=bool)),
    ]  # fmt: skip
    return _rows(parts), has, inside


def _addresses(c: Customers, seed: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Home addresses for some people, an office for every company."""
    take = c.company | ((c.duplicate_of < 0) & (rng.random(c.n) < 0.45))
    at = np.flatnonzero(take)
    n = len(at)
    line1 = np.full(n, None, dtype=object)
    city = np.full(n, None, dtype=object)
    region = np.full(n, None, dtype=object)
    postal = np.full(n, None, dtype=object)
    country = np.array([C.COUNTRY[C.LANGS[li]] for li in c.lang[at]], dtype=object)
    in_vn = c.city[at] >= 0
    vi_pool = address_pool("vi", 120, seed)
    number = rng.integers(1, 400, n)
    street = rng.integers(0, len(vi_pool.street), n)
    for k in np.flatnonzero(in_vn).tolist():
        name = C.VN_CITIES[c.city[at[k]]][0]
        wards = C.VN_WARDS.get(name)
        ward = f", {wards[number[k] % len(wards)]}" if wards else ""
        line1[k] = f"{number[k]} {vi_pool.street[street[k]]}{ward}"
        city[k] = name
        country[k] = "VN"
    for li, lang in enumerate(C.LANGS):
        abroad = np.flatnonzero(~in_vn & (c.lang[at] == li))
        if not len(abroad):
            continue
        pool = address_pool(lang, 300, seed)
        pick = rng.integers(0, len(pool.street), len(abroad))
        line1[abroad] = np.array(pool.street, dtype=object)[pick]
        city[abroad] = np.array(pool.city, dtype=object)[pick]
        region[abroad] = np.array(pool.region, dtype=object)[pick]
        postal[abroad] = np.array(pool.postal, dtype=object)[pick]
    label = np.where(c.company[at], "office", "home").astype(object)
    return {
        "customer": at,
        "label": label,
        "line1": line1,
        "city": city,
        "region": region,
        "postal": postal,
        "country": country,
    }
