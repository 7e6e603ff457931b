"""Names as each culture writes them, and the folded key used for search and duplicates.

Vietnamese and Thai customers are addressed by the given name, Spanish names carry two family
names, some cultures use a patronymic: we keep the parts, and compose the display name by the
customer's language rather than forcing "first last" on everyone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from regulars.domain.errors import InvalidName, ValidationError

# Family name first when written in full (Vietnamese "Nguyễn Văn An", also zh/ja/ko/hu).
FAMILY_FIRST = frozenset({"vi", "zh", "ja", "ko", "hu"})

_SPACES = re.compile(r"\s+")
_APOSTROPHES = re.compile(r"['’ʼ`´]")
# BCP 47 as people write it: language, optional script, region and variants (en, vi-VN, sr-Latn).
_BCP47 = re.compile(
    r"^[a-z]{2,3}(-[a-z]{4})?(-([a-z]{2}|[0-9]{3}))?(-[a-z0-9]{5,8}|-[0-9][a-z0-9]{3})*$"
)
_NON_WORD = re.compile(r"[^\w\s\u0e00-\u0e7f]", re.UNICODE)
# Legal-form words that say nothing about which company it is.
_LEGAL_FORMS = frozenset(
    """llc ltd limited inc incorporated corp corporation co company gmbh ag sa sl slu sas srl bv
    nv oy oyj ab plc jsc pte pty lp llp cong ty tnhh cp co phan trach nhiem huu han
    บริษัท จำกัด มหาชน""".split()  # noqa: SIM905
)


def primary_language(tag: str | None) -> str:
    """`vi-VN` -> `vi`; empty -> `en`."""
    return (tag or "en").replace("_", "-").split("-")[0].lower() or "en"


def normalize_language(tag: str | None) -> str | None:
    """Canonical BCP 47 case (`vi-vn` -> `vi-VN`, `sr_latn` -> `sr-Latn`); None when empty."""
    if tag is None or not tag.strip():
        return None
    t = tag.strip().replace("_", "-").lower()
    if not _BCP47.match(t):
        raise ValidationError(
            f"invalid language {tag!r}: use a BCP 47 tag such as en, vi, th-TH, es-ES",
            field="language",
        )
    parts = t.split("-")
    out = [parts[0]]
    for p in parts[1:]:
        if len(p) == 4 and p.isalpha():
            out.append(p.title())
        elif len(p) == 2 or (len(p) == 3 and p.isdigit()):
            out.append(p.upper())
        else:
            out.append(p)
    return "-".join(out)


def clean(text: str | None) -> str | None:
    """Trim and collapse whitespace; empty becomes None."""
    if text is None:
        return None
    t = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return t or None


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Nguyễn Đức' -> 'nguyen duc'. Thai script is kept."""
    t = _APOSTROPHES.sub("", text)  # O'Brien and OBrien are one name
    # Compatibility forms first ('ℐ' -> 'I'), then case, then accents split off to be dropped.
    t = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", t).casefold()).replace("đ", "d")
    t = "".join(ch for ch in t if not unicodedata.combining(ch) or _is_thai(ch))
    t = _NON_WORD.sub(" ", t)
    return _SPACES.sub(" ", t).strip()


def _is_thai(ch: str) -> bool:
    return "\u0e00" <= ch <= "\u0e7f"


def name_key(display_name: str, *, company: bool = False) -> str:
    """Folded, token-sorted key: 'An Nguyen Van' and 'Nguyễn Văn An' get the same key.

    For companies, dots go first (S.A. -> sa) and legal forms are dropped: 'Acme S.A.' = 'ACME'.
    """
    tokens = fold(display_name.replace(".", "") if company else display_name).split()
    if company:
        tokens = [t for t in tokens if t not in _LEGAL_FORMS] or tokens
    return " ".join(sorted(tokens))


@dataclass(frozen=True, slots=True)
class PersonName:
    family: str | None = None
    given: str | None = None
    middle: str | None = None
    patronymic: str | None = None

    def display(self, language: str | None) -> str:
        """The full name in the order the customer's culture writes it."""
        lang = primary_language(language)
        if lang in FAMILY_FIRST:
            parts = [self.family, self.middle, self.given]
        elif self.patronymic:
            parts = [self.given, self.patronymic, self.family]
        else:
            parts = [self.given, self.middle, self.family]
        shown = " ".join(p for p in parts if p)
        if not shown:
            raise InvalidName("a person needs at least a given or a family name", field="name")
        return shown


def split_full_name(full: str, language: str | None) -> PersonName:
    """Best-effort parts of a name written in one field, by the customer's language.

    vi: 'Nguyễn Văn An' -> family Nguyễn, middle Văn, given An.
    es: 'María José García López' -> given 'María José', family 'García López' (two surnames).
    others: first word given, last word family, the rest middle.
    """
    text = clean(full)
    if not text:
        raise InvalidName("the name is empty", field="name")
    words = text.split(" ")
    lang = primary_language(language)
    if len(words) == 1:
        return PersonName(given=words[0])
    if lang in FAMILY_FIRST:
        return PersonName(family=words[0], middle=" ".join(words[1:-1]) or None, given=words[-1])
    if lang == "es" and len(words) >= 3:
        return PersonName(given=" ".join(words[:-2]), family=" ".join(words[-2:]))
    return PersonName(given=words[0], middle=" ".join(words[1:-1]) or None, family=words[-1])
