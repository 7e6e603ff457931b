"""Forms of address per culture: the customer's own name, never a guessed gender."""

from __future__ import annotations

import pytest

from regulars.domain.addressing import Addressee, Formality, address
from regulars.domain.customers import CustomerKind
from regulars.domain.names import PersonName

AN = Addressee("Nguyễn Văn An", PersonName(family="Nguyễn", middle="Văn", given="An"))
SOMCHAI = Addressee("สมชาย ใจดี", PersonName(given="สมชาย", family="ใจดี"))
MARIA = Addressee("María García López", PersonName(given="María", family="García López"))
MATTI = Addressee("Matti Virtanen", PersonName(given="Matti", family="Virtanen"))
IVAN = Addressee(
    "Иван Петрович Сидоров", PersonName(given="Иван", patronymic="Петрович", family="Сидоров")
)


@pytest.mark.parametrize(
    ("who", "lang", "formality", "name", "greeting"),
    [
        (SOMCHAI, "th", None, "คุณสมชาย", "สวัสดี คุณสมชาย"),
        (SOMCHAI, "th-TH", Formality.FORMAL, "คุณสมชาย", "เรียน คุณสมชาย"),
        (AN, "vi", None, "Quý khách An", "Kính gửi Quý khách An,"),
        (AN, "vi", Formality.INFORMAL, "bạn An", "Chào bạn An,"),
        (MARIA, "es", None, "María", "Hola, María:"),
        (MATTI, "fi", None, "Matti", "Hei Matti!"),
        (MATTI, "fi", Formality.FORMAL, "Matti", "Hyvä Matti Virtanen,"),
        (MATTI, "en", None, "Matti", "Hi Matti,"),
        (MATTI, "en", Formality.FORMAL, "Matti", "Dear Matti,"),
        (IVAN, "ru", Formality.FORMAL, "Иван Петрович", "Здравствуйте, Иван Петрович!"),
        (IVAN, "en", Formality.FORMAL, "Иван Петрович", "Dear Иван Петрович,"),
        (IVAN, "en", Formality.INFORMAL, "Иван", "Hi Иван,"),
    ],
)
def test_person_forms(
    who: Addressee, lang: str, formality: Formality | None, name: str, greeting: str
) -> None:
    a = address(who, lang, formality)
    assert (a.name, a.greeting) == (name, greeting)


def test_latin_name_in_thai_keeps_a_space() -> None:
    assert address(MATTI, "th").name == "คุณ Matti"


def test_recorded_salutation_is_used() -> None:
    chi = Addressee("Trần Thị Mai", PersonName(family="Trần", given="Mai"), salutation="chị")
    assert address(chi, "vi").greeting == "Kính gửi chị Mai,"
    sra = Addressee("Ana Ruiz", PersonName(given="Ana", family="Ruiz Gil"), salutation="Sra.")
    assert address(sra, "es").greeting == "Estimada Sra. Ruiz:"


def test_company_is_greeted_through_its_contact() -> None:
    acme = Addressee("Acme S.L.", kind=CustomerKind.COMPANY, contact=MARIA)
    assert address(acme, "es").greeting == "Hola, María:"


@pytest.mark.parametrize(
    ("lang", "greeting"),
    [
        ("en", "Hello Acme team,"),
        ("vi", "Kính gửi Quý công ty Acme,"),
        ("es", "Apreciado equipo de Acme:"),
        ("fi", "Hei Acme!"),
        ("th", "สวัสดี Acme"),
    ],
)
def test_company_without_contact(lang: str, greeting: str) -> None:
    assert address(Addressee("Acme", kind=CustomerKind.COMPANY), lang).greeting == greeting


def test_only_a_display_name() -> None:
    assert address(Addressee("Bobby"), "en").greeting == "Hi Bobby,"
