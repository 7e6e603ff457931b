"""Phone numbers that are valid in each country and never shared by two demo customers.

Two customers with one number would show up as likely duplicates; the demo plants its
duplicates on purpose, so every other number is distinct: the k-th number of a country is an
affine permutation of k over that country's number space (vectorised, no bookkeeping).
"""

from __future__ import annotations

from math import gcd

import numpy as np

# country code, national prefixes, digits after the prefix, lowest subscriber number
_MOBILE: dict[str, tuple[str, tuple[str, ...], int, int]] = {
    "vi": (
        "+84",
        (
            "90",
            "91",
            "93",
            "94",
            "96",
            "97",
            "98",
            "32",
            "33",
            "34",
            "35",
            "36",
            "37",
            "38",
            "39",
            "70",
            "76",
            "77",
            "78",
            "79",
            "81",
            "82",
            "83",
            "84",
            "85",
            "86",
            "88",
        ),
        7,
        0,
    ),
    "th": (
        "+66",
        (
            "61",
            "62",
            "63",
            "64",
            "65",
            "80",
            "81",
            "82",
            "83",
            "84",
            "85",
            "86",
            "87",
            "88",
            "89",
            "90",
            "91",
            "92",
            "93",
            "94",
            "95",
            "96",
            "97",
            "98",
        ),
        7,
        0,
    ),
    "es": ("+34", ("6",), 8, 0),
    "fi": ("+358", ("40", "41", "44", "45", "46", "50"), 7, 0),
    "en": (
        "+1",
        (
            "212",
            "646",
            "718",
            "415",
            "510",
            "206",
            "312",
            "617",
            "213",
            "310",
            "503",
            "512",
            "303",
            "404",
            "305",
            "702",
        ),
        7,
        2_000_000,
    ),
}
_LANDLINE: dict[str, tuple[str, tuple[str, ...], int, int]] = {
    "vi": ("+84", ("283", "284", "285", "286", "243", "244", "245", "246"), 7, 0),
    "th": ("+66", ("2",), 7, 0),
    "es": ("+34", ("91", "93"), 7, 0),
    "fi": ("+358", ("91", "92", "93", "94", "95", "96", "97", "98"), 6, 0),
    "en": ("+1", ("202", "713", "214", "808"), 7, 2_000_000),
}
_MULTIPLIERS = (7_368_787, 9_999_991, 5_555_567, 3_333_347, 1_000_003)


class PhoneBook:
    """Hands out distinct numbers per (language's country, mobile or landline)."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._taken: dict[tuple[str, bool], int] = {}

    def take(self, lang: str, n: int, *, landline: bool = False) -> np.ndarray:
        """`n` new numbers in E.164 as an object array."""
        code, prefixes, digits, low = (_LANDLINE if landline else _MOBILE)[lang]
        per_prefix = 10**digits - low
        space = len(prefixes) * per_prefix
        start = self._taken.get((lang, landline), 0)
        if start + n > space:
            raise ValueError(f"the demo ran out of phone numbers for {lang}")
        self._taken[(lang, landline)] = start + n
        a = next(m for m in _MULTIPLIERS if gcd(m, space) == 1)
        salt = np.random.SeedSequence([self._seed, ord(lang[0]), ord(lang[1]), landline])
        b = int(salt.generate_state(1, np.uint64)[0]) % space
        k = np.arange(start, start + n, dtype=np.int64)
        v = (k * a + b) % space
        heads = np.array([code + p for p in prefixes], dtype=object)[v // per_prefix]
        tails = np.char.zfill((v % per_prefix + low).astype(str), digits).astype(object)
        return np.asarray(heads + tails, dtype=object)
