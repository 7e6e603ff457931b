"""Every shipped template renders in every shipped language, fully translated, with the name."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from regulars.domain.addressing import Addressee, Formality
from regulars.domain.customers import SHIPPED_LANGUAGES, CustomerKind
from regulars.domain.errors import ValidationError
from regulars.domain.messages import SPECS, MessageKind, Purpose
from regulars.domain.money import Money
from regulars.domain.names import PersonName
from regulars.messaging.catalogs import (
    TEMPLATES,
    catalog,
    missing_translations,
    template_messages,
    translations,
)
from regulars.messaging.formatting import Formatter
from regulars.messaging.rendering import TemplateFieldError, Voice, check_template, render
from regulars.messaging.samples import sample_context

PEOPLE = {
    "en": Addressee("Emma Brown", PersonName(given="Emma", family="Brown")),
    "vi": Addressee("Nguyễn Thị Hoa", PersonName(family="Nguyễn", middle="Thị", given="Hoa")),
    "th": Addressee("สมหญิง รักดี", PersonName(given="สมหญิง", family="รักดี")),
    "es": Addressee("Lucía Fernández Ruiz", PersonName(given="Lucía", family="Fernández Ruiz")),
    "fi": Addressee("Aino Korhonen", PersonName(given="Aino", family="Korhonen")),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _contact_of(lang: str) -> Addressee:
    return Addressee("Acme Ltd", kind=CustomerKind.COMPANY, contact=PEOPLE[lang])


def _english_fragments() -> list[str]:
    """Static pieces of the English texts, long enough not to occur in a translation by chance."""
    out = []
    for key in template_messages():
        for text in key if isinstance(key, tuple) else (key,):
            out += [p.strip() for p in PLACEHOLDER.split(text)[::2] if len(p.strip()) >= 12]
    return out


ENGLISH = _english_fragments()


def test_every_kind_has_a_purpose_and_a_template() -> None:
    assert set(SPECS) == set(MessageKind)
    assert MessageKind.BIRTHDAY.purpose == Purpose.MARKETING
    assert MessageKind.ORDER_DELAYED.purpose == Purpose.SERVICE


@pytest.mark.parametrize("lang", [lang for lang in SHIPPED_LANGUAGES if lang != "en"])
def test_catalog_is_complete_and_keeps_placeholders(lang: str) -> None:
    assert missing_translations(lang) == []
    cat = catalog(lang)
    assert cat is not None and translations(lang) is not None
    for msg in cat:
        if not msg.id:
            continue
        ids = msg.id if isinstance(msg.id, tuple | list) else (msg.id,)
        allowed = {p for i in ids for p in PLACEHOLDER.findall(i)} | {"num"}
        strings = msg.string if isinstance(msg.string, tuple | list) else (msg.string,)
        for text in strings:
            assert text, (lang, msg.id)
            assert set(PLACEHOLDER.findall(text)) <= allowed, (lang, msg.id, text)


@pytest.mark.parametrize("kind", list(MessageKind))
@pytest.mark.parametrize("lang", SHIPPED_LANGUAGES)
@pytest.mark.parametrize("company", [False, True], ids=["person", "company"])
def test_renders_fully(kind: MessageKind, lang: str, company: bool) -> None:
    who = _contact_of(lang) if company else PEOPLE[lang]
    ctx = sample_context(kind, who)
    for formality in Formality:
        m = render(kind, lang, ctx, voice=Voice(formality={lang: formality}))
        assert m.language == lang
        assert m.subject.strip() and "\n" not in m.subject
        given = PEOPLE[lang].name.given
        assert given and given in m.text and given in m.html
        if lang != "en" and kind != MessageKind.ANNOUNCEMENT:
            leftovers = [e for e in ENGLISH if e in m.text or e in m.subject]
            assert not leftovers, leftovers
        if kind.marketing:
            assert ctx["unsubscribe_url"] in m.text
            assert f'href="{ctx["unsubscribe_url"]}"' in m.html
        else:
            assert "unsubscribe" not in m.text.lower()


def test_unknown_language_falls_back_to_business_then_english() -> None:
    ctx = sample_context(MessageKind.ORDER_PAID, PEOPLE["fi"])
    assert render(MessageKind.ORDER_PAID, "de", ctx, voice=Voice("fi")).language == "fi"
    assert render(MessageKind.ORDER_PAID, "de", ctx).language == "en"
    assert render(MessageKind.ORDER_PAID, "vi-VN", ctx).language == "vi"


def test_html_escapes_customer_text() -> None:
    ctx = sample_context(MessageKind.ORDER_DELAYED)
    ctx["reason"] = "<script>x</script>"
    m = render(MessageKind.ORDER_DELAYED, "en", ctx)
    assert "<script>" not in m.html and "&lt;script&gt;" in m.html
    assert "<script>x</script>" in m.text


def test_marketing_without_unsubscribe_url_is_refused() -> None:
    ctx = sample_context(MessageKind.BIRTHDAY)
    del ctx["unsubscribe_url"]
    with pytest.raises(TemplateFieldError, match="unsubscribe_url"):
        render(MessageKind.BIRTHDAY, "en", ctx)


def test_money_and_dates_follow_the_locale() -> None:
    ctx = sample_context(MessageKind.ORDER_PAID)
    ctx["amount"] = Money(Decimal("150000"), "VND")
    assert "150.000 ₫" in render(MessageKind.ORDER_PAID, "vi", ctx).text
    assert Formatter("th", buddhist_era=True).date(date(2026, 4, 13)) == "13 เมษายน พ.ศ. 2569"
    assert Formatter("en", buddhist_era=True).date(date(2026, 4, 13)) == "April 13, 2026"
    assert Formatter("fi").money(Money(Decimal("12.5"), "EUR")) == "12,50\xa0€"
    assert Formatter("th").money(Decimal("99"), "THB") == "฿99.00"


OVERRIDE = """{% block subject %}{{ _("Happy birthday, %(name)s!", name=address.name) }}
{% endblock %}{% block body %}{{ business }} thinks of you, {{ address.name }}.{% endblock %}"""


def test_business_override_renders_with_the_same_context() -> None:
    check_template(OVERRIDE, MessageKind.BIRTHDAY)
    m = render(MessageKind.BIRTHDAY, "fi", sample_context(MessageKind.BIRTHDAY), source=OVERRIDE)
    assert m.subject == "Hyvää syntymäpäivää, Anna!"
    assert "Regulars Café thinks of you, Anna." in m.text


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (OVERRIDE.replace("business", "order_number"), "order_number"),
        (OVERRIDE.replace("address.name }}.", "address.nmae }}."), "nmae"),
        ("{% block subject %}x{% endblock %}", "block body"),
        ("{% block subject %}{{ x {% endblock %}", "syntax"),
        (OVERRIDE.replace("{{ business }}", "{{ business.__class__.__mro__ }}"), "unsafe"),
    ],
)
def test_check_template_refuses_at_save_time(source: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        check_template(source, MessageKind.BIRTHDAY)


def test_optional_fields_must_be_guarded() -> None:
    shipped = OVERRIDE.replace("{{ business }}", "{{ carrier }}")
    with pytest.raises(TemplateFieldError, match="carrier"):
        check_template(shipped, MessageKind.ORDER_SHIPPED)
    guarded = OVERRIDE.replace(
        "{{ business }}", "{% if carrier is defined %}{{ carrier }}{% endif %}"
    )
    check_template(guarded, MessageKind.ORDER_SHIPPED)


@pytest.mark.parametrize("kind", list(MessageKind))
def test_shipped_templates_pass_their_own_check(kind: MessageKind) -> None:
    source = (TEMPLATES / f"{kind}.j2").read_text(encoding="utf-8")
    check_template(source, kind)


def test_only_web_and_mail_links_are_clickable() -> None:
    ctx = sample_context(MessageKind.ANNOUNCEMENT)
    ctx["link_url"] = "javascript:alert(1)"
    assert 'href="javascript' not in render(MessageKind.ANNOUNCEMENT, "en", ctx).html
