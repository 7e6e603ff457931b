"""How a message names its reader, by language and culture (DOMAIN §6: their own name).

Each culture has its own form: Thai puts the polite "คุณ" before the given name, Vietnamese
always needs a term of address before the given name, Russian-style names are used formally as
given name + patronymic, Finnish and English marketing is on first-name terms. We store no
gender, so every form chosen here is gender-neutral unless the business recorded a salutation
(e.g. Vietnamese "anh"/"chị", Spanish "Sr."/"Sra.").

Vietnamese without a recorded salutation: the formal register uses "Quý khách" + given name
("Kính gửi Quý khách An"), the respectful gender-neutral form of customer service; guessing
"anh"/"chị" from a name would get half the customers wrong, and a bare given name sounds rude
to older readers. The informal register uses "bạn", common in retail to younger customers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from regulars.domain.customers import CustomerKind
from regulars.domain.names import PersonName, primary_language


class Formality(StrEnum):
    """The register a business speaks in (usted/tú, Quý khách/bạn, Dear/Hi)."""

    FORMAL = "formal"
    INFORMAL = "informal"


# The register each shipped language uses unless the business chooses otherwise: Spanish and
# Vietnamese business mail is formal; Finnish, Thai ("สวัสดี คุณ…" is polite) and English
# marketing speak on first-name terms.
DEFAULT_FORMALITY: dict[str, Formality] = {
    "en": Formality.INFORMAL,
    "vi": Formality.FORMAL,
    "th": Formality.INFORMAL,
    "es": Formality.FORMAL,
    "fi": Formality.INFORMAL,
}

# Spanish salutations that carry gender, so a greeting may agree with them.
_ES_FEMININE = frozenset({"sra.", "sra", "señora", "srta.", "srta", "doña", "dña."})
_THAI = re.compile(r"[\u0e00-\u0e7f]")
# Cultures that address people formally by given name + patronymic, and their neutral hello.
_PATRONYMIC_HELLO = {"ru": "Здравствуйте", "uk": "Добрий день", "be": "Добры дзень"}


_NO_PARTS = PersonName()


@dataclass(frozen=True, slots=True)
class Addressee:
    """Who a message is for: a person, or a company (greeted through its contact, if any).

    `salutation` is a form of address the business recorded ("anh", "chị", "Sr.", "Ms"); without
    one, every greeting is gender-neutral.
    """

    display_name: str
    name: PersonName = _NO_PARTS
    kind: CustomerKind = CustomerKind.PERSON
    salutation: str | None = None
    contact: Addressee | None = None


@dataclass(frozen=True, slots=True)
class Address:
    """`name` goes inside sentences ("Happy birthday, {name}!"); `greeting` opens the message."""

    name: str
    greeting: str
    formality: Formality


def formality_for(language: str, chosen: Formality | None = None) -> Formality:
    """The business's choice, else the language's usual register (formal when unknown)."""
    return chosen or DEFAULT_FORMALITY.get(primary_language(language), Formality.FORMAL)


def address(who: Addressee, language: str, formality: Formality | None = None) -> Address:
    """Name and greeting for `who` in `language`; companies are greeted via their contact."""
    lang = primary_language(language)
    reg = formality_for(lang, formality)
    if who.kind == CustomerKind.COMPANY:
        if who.contact is not None:
            return address(who.contact, language, reg)
        return _company(who.display_name, lang, reg)
    return _person(who, lang, reg)


def _core_name(who: Addressee, formal: bool) -> str:
    """Given name (+ patronymic when formal), else the whole display name."""
    n = who.name
    if n.given and n.patronymic and formal:
        return f"{n.given} {n.patronymic}"
    return n.given or who.display_name


def _person(who: Addressee, lang: str, reg: Formality) -> Address:
    formal = reg == Formality.FORMAL
    core = _core_name(who, formal)
    sal = who.salutation
    if lang == "th":
        name = f"คุณ{core}" if _THAI.match(core) else f"คุณ {core}"
        opening = "เรียน" if formal else "สวัสดี"
        return Address(name, f"{opening} {name}", reg)
    if lang == "vi":
        term = sal or ("Quý khách" if formal else "bạn")
        name = f"{term} {core}"
        return Address(name, f"{'Kính gửi' if formal else 'Chào'} {name},", reg)
    if lang == "es":
        if sal and formal and who.name.family:
            family = who.name.family.split(" ")[0]
            adj = "Estimada" if sal.lower() in _ES_FEMININE else "Estimado"
            return Address(core, f"{adj} {sal} {family}:", reg)
        return Address(core, f"Hola, {core}:", reg)
    if lang == "fi":
        if formal:
            full = " ".join(p for p in (core, who.name.family) if p) if who.name.given else core
            return Address(core, f"Hyvä {full},", reg)
        return Address(core, f"Hei {core}!", reg)
    if lang in _PATRONYMIC_HELLO:
        return Address(core, f"{_PATRONYMIC_HELLO[lang]}, {core}!", reg)
    if sal and formal and who.name.family:
        return Address(core, f"Dear {sal} {who.name.family},", reg)
    return Address(core, f"{'Dear' if formal else 'Hi'} {core},", reg)


def _company(company: str, lang: str, reg: Formality) -> Address:
    formal = reg == Formality.FORMAL
    if lang == "th":
        return Address(company, f"{'เรียน' if formal else 'สวัสดี'} {company}", reg)
    if lang == "vi":
        name = f"Quý công ty {company}"
        return Address(name, f"{'Kính gửi' if formal else 'Chào'} {name},", reg)
    if lang == "es":
        return Address(company, f"{'Apreciado' if formal else 'Hola,'} equipo de {company}:", reg)
    if lang == "fi":
        return Address(
            company, f"Hyvä asiakkaamme {company}," if formal else f"Hei {company}!", reg
        )
    if lang in _PATRONYMIC_HELLO:
        return Address(company, f"{_PATRONYMIC_HELLO[lang]}, {company}!", reg)
    return Address(company, f"{'Dear' if formal else 'Hello'} {company} team,", reg)
