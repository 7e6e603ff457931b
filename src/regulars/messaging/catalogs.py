"""Gettext catalogs: `locales/<lang>/LC_MESSAGES/messages.po`, compiled in memory at first use.

Keeping only the .po (no compiled .mo) means there is nothing to rebuild or forget to commit
when a text changes; compiling 60 messages takes milliseconds, once per process.
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path

import jinja2
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2.ext import extract_from_ast

from regulars.domain.names import primary_language

LOCALES = Path(__file__).parent.parent / "locales"
TEMPLATES = Path(__file__).parent / "templates"
SOURCE_LANGUAGE = "en"  # the templates are written in English
GETTEXT_FUNCTIONS = ("_", "gettext", "ngettext")

Msgid = str | tuple[str, str]  # a plural is (singular, plural)


@lru_cache(maxsize=1)
def available_languages() -> tuple[str, ...]:
    """English (the source texts) and every language with a catalog."""
    found = sorted(p.parent.parent.name for p in LOCALES.glob("*/LC_MESSAGES/messages.po"))
    return (SOURCE_LANGUAGE, *[lang for lang in found if lang != SOURCE_LANGUAGE])


@lru_cache(maxsize=32)
def catalog(language: str) -> Catalog | None:
    po = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return None
    with po.open("rb") as f:
        return read_po(f, locale=language)


@lru_cache(maxsize=32)
def translations(language: str) -> Translations | None:
    """The language's translations, compiled from its .po in memory (fuzzy entries skipped)."""
    cat = catalog(language)
    if cat is None:
        return None
    buf = BytesIO()
    write_mo(buf, cat)
    buf.seek(0)
    return Translations(buf)


def resolve_language(language: str | None, default: str | None = None) -> str:
    """The customer's language if we have texts for it, else the business's, else English."""
    have = available_languages()
    for tag in (language, default):
        if tag and primary_language(tag) in have:
            return primary_language(tag)
    return SOURCE_LANGUAGE


def template_messages() -> list[Msgid]:
    """Every text the shipped templates translate, in order of first use."""
    env = jinja2.Environment()
    found: list[Msgid] = []
    for path in sorted(TEMPLATES.iterdir()):
        ast = env.parse(path.read_text(encoding="utf-8"))
        for _line, _func, msg in extract_from_ast(ast, GETTEXT_FUNCTIONS):
            parts = [m for m in (msg if isinstance(msg, tuple) else (msg,)) if m]
            key: Msgid = parts[0] if len(parts) == 1 else (parts[0], parts[1])
            if key not in found:
                found.append(key)
    return found


def missing_translations(language: str) -> list[str]:
    """Template texts the language's catalog leaves untranslated or fuzzy (to add a language)."""
    cat = catalog(language)
    missing = []
    for key in template_messages():
        singular = key[0] if isinstance(key, tuple) else key
        msg = cat.get(singular) if cat is not None else None
        strings = msg.string if msg is not None else ""
        done = all(strings) if isinstance(strings, tuple | list) else bool(strings)
        if msg is None or msg.fuzzy or not done:
            missing.append(singular)
    return missing
