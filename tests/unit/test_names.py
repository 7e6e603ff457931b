"""Names keep the parts each culture uses, and fold to one key for search and duplicates."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulars.domain.errors import InvalidName, ValidationError
from regulars.domain.names import (
    PersonName,
    clean,
    fold,
    name_key,
    normalize_language,
    split_full_name,
)


@pytest.mark.parametrize(
    ("full", "lang", "parts"),
    [
        ("Nguyễn Văn An", "vi", PersonName(family="Nguyễn", middle="Văn", given="An")),
        ("Trần Thị Thu Hà", "vi-VN", PersonName(family="Trần", middle="Thị Thu", given="Hà")),
        ("María José García López", "es", PersonName(given="María José", family="García López")),
        ("Juan Pérez", "es", PersonName(given="Juan", family="Pérez")),
        (
            "Matti Ilmari Virtanen",
            "fi",
            PersonName(given="Matti", middle="Ilmari", family="Virtanen"),
        ),
        ("สมชาย ใจดี", "th", PersonName(given="สมชาย", family="ใจดี")),
        ("Madonna", "en", PersonName(given="Madonna")),
    ],
)
def test_a_full_name_is_split_by_the_customers_language(
    full: str, lang: str, parts: PersonName
) -> None:
    assert split_full_name(full, lang) == parts


def test_display_name_follows_the_culture() -> None:
    an = PersonName(family="Nguyễn", middle="Văn", given="An")
    assert an.display("vi") == "Nguyễn Văn An"
    assert an.display("en") == "An Văn Nguyễn"
    ivan = PersonName(family="Petrov", given="Ivan", patronymic="Sergeyevich")
    assert ivan.display("ru") == "Ivan Sergeyevich Petrov"


def test_a_person_needs_a_name() -> None:
    with pytest.raises(InvalidName):
        PersonName().display("en")
    with pytest.raises(InvalidName):
        split_full_name("   ", "vi")


def test_fold_drops_case_and_accents_but_keeps_thai() -> None:
    assert fold("Nguyễn ĐỨC  Anh") == "nguyen duc anh"
    assert fold("José Ñúñez-García") == "jose nunez garcia"
    assert fold("O'Brien") == fold("OBrien") == "obrien"
    assert fold("สมชาย ใจดี") == "สมชาย ใจดี"


def test_name_key_ignores_order_and_company_legal_forms() -> None:
    assert name_key("Nguyễn Văn An") == name_key("an nguyen VAN") == "an nguyen van"
    assert name_key("Acme S.A.", company=True) == name_key("ACME", company=True) == "acme"
    assert name_key("Công ty TNHH Minh Phát", company=True) == "minh phat"
    assert name_key("Oy", company=True) == "oy"  # a name made only of a legal form stays


def test_clean_collapses_whitespace() -> None:
    assert clean("  Nguyễn \t Văn\nAn ") == "Nguyễn Văn An"
    assert clean("   ") is None


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [("vi", "vi"), ("vi-vn", "vi-VN"), ("TH_th", "th-TH"), ("es-419", "es-419"),
     ("zh-hant-tw", "zh-Hant-TW"), ("", None)],
)  # fmt: skip
def test_language_tags_are_canonical_bcp47(typed: str, canonical: str | None) -> None:
    assert normalize_language(typed) == canonical


@pytest.mark.parametrize("typed", ["vietnamese", "v", "en-", "12"])
def test_a_language_that_is_not_bcp47_is_refused(typed: str) -> None:
    with pytest.raises(ValidationError, match="BCP 47"):
        normalize_language(typed)


# Words as customers type them: Latin letters with Vietnamese/Spanish/Finnish accents.
word = st.text(
    alphabet="abcdeghiklmnopqrstuvxyzđàáâãèéêìíòóôõùúýăơưạảấầẩẫậäöåñ", min_size=1, max_size=8
)


@given(st.lists(word, min_size=1, max_size=5), st.randoms(use_true_random=False))
def test_name_key_does_not_depend_on_word_order(words: list[str], rnd: object) -> None:
    shuffled = list(words)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert name_key(" ".join(words)) == name_key(" ".join(shuffled))


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text).replace("đ", "d")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@given(st.lists(word, min_size=1, max_size=5))
def test_name_key_does_not_depend_on_accents_or_case(words: list[str]) -> None:
    name = " ".join(words)
    assert name_key(name) == name_key(_strip_accents(name).upper())


@given(st.text(max_size=40))
def test_name_key_is_stable(text: str) -> None:
    key = name_key(text)
    assert name_key(key) == key
