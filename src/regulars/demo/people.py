"""Pools of names, companies, addresses; phone numbers and e-mail addresses that look real.

Faker is asked only for parts (given and family names, streets, cities) in small numbers, once
per language; full names are combined from the parts with numpy and checked with the domain's
own name rules once per pool entry. A million customers then pick pool entries by index: no
per-customer Faker call, and the same seed gives the same pools.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from faker import Faker

from regulars.demo import words as W
from regulars.demo.catalog import LOCALES
from regulars.domain.names import PersonName, fold, name_key

_ASCII = re.compile(r"[^a-z0-9]")


def ascii_word(text: str) -> str:
    """'Nguyễn Văn' -> 'nguyenvan': what people type in an e-mail address."""
    t = unicodedata.normalize("NFKD", fold(text)).encode("ascii", "ignore").decode()
    return _ASCII.sub("", t)


@dataclass(frozen=True, slots=True)
class PersonPool:
    family: np.ndarray  # object arrays, one entry per distinct full name
    given: np.ndarray
    middle: np.ndarray
    display: np.ndarray
    key: np.ndarray
    local: np.ndarray  # e-mail local part before digits are added

    def __len__(self) -> int:
        return len(self.display)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _parts(lang: str, seed: int) -> tuple[list[str], list[str], list[str], np.ndarray]:
    """Male and female given names, family names (and their weights) from the locale."""
    fake = Faker(LOCALES[lang])
    fake.seed_instance(seed)
    male = _unique([fake.first_name_male() for _ in range(400)])
    female = _unique([fake.first_name_female() for _ in range(400)])
    family = _unique([fake.last_name() for _ in range(700)])
    if lang == "vi":
        male = _unique([*W.VI_MALE, *male])
        female = _unique([*W.VI_FEMALE, *female])
        family = [f for f, _ in W.VI_FAMILY]
        weights = np.array([w for _, w in W.VI_FAMILY], dtype=float)
        return male, female, family, weights / weights.sum()
    return male, female, family, np.full(len(family), 1.0 / len(family))


def person_pool(lang: str, size: int, seed: int) -> PersonPool:
    """Up to `size` distinct full names of one language, with the parts its culture uses."""
    rng = np.random.Generator(np.random.PCG64([seed, 101, len(lang), ord(lang[0])]))
    male, female, family, fweights = _parts(lang, seed)
    seen: dict[str, tuple[str | None, str, str | None, str, str]] = {}
    for _ in range(6):
        m = max(64, 2 * (size - len(seen)))
        fem = rng.random(m) < 0.5
        gi = rng.integers(0, 1 << 30, m)
        fi = rng.choice(len(family), m, p=fweights)
        f2 = rng.integers(0, len(family), m)
        extra = rng.random(m)
        for k in range(m):
            given = female[gi[k] % len(female)] if fem[k] else male[gi[k] % len(male)]
            fam: str | None = family[fi[k]]
            middle: str | None = None
            if lang == "vi" and extra[k] < 0.92:
                mids = W.VI_MIDDLE_F if fem[k] else W.VI_MIDDLE_M
                middle = mids[gi[k] % len(mids)]
            elif lang == "es":
                fam = f"{fam} {family[f2[k]]}"  # two family names
                if extra[k] < 0.12:
                    given = f"{given} {female[gi[k] // 7 % len(female)]}" if fem[k] else given
            elif lang == "en" and extra[k] < 0.2:
                pool = female if fem[k] else male
                middle = pool[gi[k] // 11 % len(pool)]
            display = PersonName(family=fam, given=given, middle=middle).display(lang)
            if display in seen:
                continue
            seen[display] = (fam, given, middle, name_key(display), _local(lang, given, fam, k))
            if len(seen) >= size:
                break
        if len(seen) >= size:
            break
    rows = list(seen.items())
    col = lambda i: np.array([r[1][i] for r in rows], dtype=object)  # noqa: E731
    return PersonPool(
        family=col(0),
        given=col(1),
        middle=col(2),
        display=np.array([r[0] for r in rows], dtype=object),
        key=col(3),
        local=col(4),
    )


def _local(lang: str, given: str, family: str | None, k: int) -> str:
    if lang == "th":
        return W.TH_NICK[k % len(W.TH_NICK)]
    g = ascii_word(given.split(" ")[0]) or "user"
    f = ascii_word((family or "").split(" ")[0])
    style = k % 5
    if not f or style == 4:
        return g
    return (f"{g}.{f}", f"{g}{f}", f"{f}.{g}", f"{g}_{f}")[style]


def person_emails(
    lang: str, locals_: np.ndarray, year: np.ndarray, rng: np.random.Generator
) -> list[str]:
    """Addresses like an.nguyen87@gmail.com; made unique later across the whole demo."""
    domains = W.EMAIL_DOMAINS[lang]
    dom = rng.integers(0, len(domains), len(locals_))
    style = rng.random(len(locals_))
    out = []
    for loc, y, d, s in zip(
        locals_.tolist(), year.tolist(), dom.tolist(), style.tolist(), strict=True
    ):
        suffix = f"{y % 100:02d}" if s < 0.35 else (str(int(s * 1000) % 97) if s > 0.8 else "")
        out.append(f"{loc}{suffix}@{domains[d]}")
    return out


def unique_emails(emails: list[str | None]) -> list[str | None]:
    """Different customers never share an address: a repeat gets a number before the @."""
    seen: set[str] = set()
    out: list[str | None] = []
    for e in emails:
        if e is None:
            out.append(None)
            continue
        cand, n = e, 1
        while cand in seen:
            local, _, dom = e.partition("@")
            cand = f"{local}.{n}@{dom}"
            n += 1
        seen.add(cand)
        out.append(cand)
    return out


@dataclass(frozen=True, slots=True)
class CompanyPool:
    display: np.ndarray
    legal: np.ndarray
    key: np.ndarray
    domain: np.ndarray


def company_pool(lang: str, size: int, seed: int) -> CompanyPool:
    """Cafés, hotels, restaurants, distributors as each country names them."""
    fake = Faker(LOCALES[lang])
    fake.seed_instance(seed + 7)
    rng = np.random.Generator(np.random.PCG64([seed, 202, ord(lang[0]), ord(lang[1])]))
    family = _unique([fake.last_name() for _ in range(300)])
    cities = _unique([fake.city() for _ in range(120)])
    seen: dict[str, tuple[str, str]] = {}
    attempts = 0
    while len(seen) < size and attempts < 8 * size + 200:
        attempts += 1
        r = rng.random()
        if lang == "th" or (r < 0.2 and lang != "vi"):
            legal = fake.company()
            display = _strip_legal(legal)
        else:
            kind = W.COMPANY_TYPES[lang][int(rng.integers(len(W.COMPANY_TYPES[lang])))]
            core = family[int(rng.integers(len(family)))]
            if lang == "vi":
                cores = W.VI_CORES if r < 0.6 else (*W.VI_MALE, *W.VI_FEMALE)
                core = cores[int(rng.integers(len(cores)))]
                core = f"{core} {W.VI_PLACES[int(rng.integers(len(W.VI_PLACES)))]}".strip()
            elif r > 0.75:
                core = cities[int(rng.integers(len(cities)))]
            display = f"{core} {kind}" if lang == "en" else f"{kind} {core}"
            legal = _legal(lang, display)
        if display not in seen:
            domain = ascii_word(display)[:40]
            if len(domain) < 4:
                words = rng.choice(len(W.TH_ROMAN), 2, replace=False)
                domain = "".join(W.TH_ROMAN[int(w)] for w in words)
            seen[display] = (legal, domain + W.COMPANY_TLD[lang])
    names = list(seen)
    return CompanyPool(
        display=np.array(names, dtype=object),
        legal=np.array([seen[n][0] for n in names], dtype=object),
        key=np.array([name_key(n, company=True) for n in names], dtype=object),
        domain=np.array([seen[n][1] for n in names], dtype=object),
    )


def _strip_legal(legal: str) -> str:
    out = legal.removeprefix("บริษัท ").removesuffix(" จำกัด").removesuffix(" (มหาชน)")
    return out.strip() or legal


def _legal(lang: str, display: str) -> str:
    return {
        "vi": f"Công ty TNHH {display}",
        "es": f"{display} S.L.",
        "fi": f"{display} Oy",
        "en": f"{display} LLC",
    }.get(lang, display)


@dataclass(frozen=True, slots=True)
class AddressPool:
    street: list[str]
    city: list[str]
    region: list[str]
    postal: list[str]


def address_pool(lang: str, size: int, seed: int) -> AddressPool:
    fake = Faker(LOCALES[lang])
    fake.seed_instance(seed + 13)
    if lang == "vi":
        streets = _unique([fake.street_name() for _ in range(size)])
        return AddressPool(streets, [], [], [])
    return AddressPool(
        [fake.street_address().strip() for _ in range(size)],
        [fake.city() for _ in range(size)],
        [fake.administrative_unit() for _ in range(size)],
        [fake.postcode() for _ in range(size)],
    )
