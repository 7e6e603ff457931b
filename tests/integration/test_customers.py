"""The customer base on SQLite and PostgreSQL: enrol, find, classify, consent, contacts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from regulars.bootstrap import App
from regulars.domain.errors import (
    Conflict,
    InvalidEmail,
    InvalidName,
    InvalidPhone,
    NotFound,
    ValidationError,
)
from regulars.services.businesses import ensure_business
from regulars.services.consents import consent_history, may_contact, record_consent
from regulars.services.contacts import add_contact, add_note
from regulars.services.context import BusinessContext
from regulars.services.customer_queries import (
    list_customers,
    resolve_customer,
    search_customers,
    show_customer,
)
from regulars.services.customers import AddressIn, update_customer
from regulars.services.duplicates import merge_customers
from regulars.store.tables import Customer, Phone
from tests.fixtures.customers import make_company, make_order, make_person, make_staff


def test_enrolling_a_person_builds_the_dossier(app: App, ctx: BusinessContext) -> None:
    make_staff(app, ctx, "Lan@Shop.vn", display_name="Trần Lan", department="Retail")
    d = make_person(
        app, ctx, phones=["0912 345 678", "+84 912-345-678"], emails=["An@Gmail.com"],
        addresses=[AddressIn("12 Lê Lợi", city="Hà Nội", country="vn")],
        birthday=date(1990, 5, 1), manager_email="lan@shop.vn", department="Retail",
        tags=["VIP", "vip "], interests=["phở"], potential="High", region="Hà Nội",
    )  # fmt: skip
    assert (d.family_name, d.middle_name, d.given_name) == ("Nguyễn", "Văn", "An")
    assert d.display_name == "Nguyễn Văn An"
    assert [p.e164 for p in d.phones] == ["+84912345678"]  # one number typed twice
    assert d.phones[0].primary
    assert [e.address for e in d.emails] == ["an@gmail.com"]
    assert d.addresses[0].country == "VN"
    assert (d.manager, d.manager_name, d.department) == ("lan@shop.vn", "Trần Lan", "Retail")
    assert (d.tags, d.interests, d.potential) == (["vip"], ["phở"], "high")
    assert d.age_band == "middle_aged"
    assert d.status == "active" and d.order_count == 0


def test_an_invalid_phone_is_refused_with_the_reason_and_nothing_is_stored(
    app: App, ctx: BusinessContext
) -> None:
    with pytest.raises(InvalidPhone, match="too short"):
        make_person(app, ctx, phones=["0912 345 678", "12345"])
    with pytest.raises(InvalidEmail):
        make_person(app, ctx, emails=["an@"])
    with app.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Customer)) == 0


def test_names_dates_and_kinds_are_checked(app: App, ctx: BusinessContext) -> None:
    with pytest.raises(InvalidName):
        make_person(app, ctx, name=None)
    with pytest.raises(ValidationError, match="founding date"):
        make_company(app, ctx, birthday=date(2000, 1, 1))
    with pytest.raises(ValidationError, match="future"):
        make_person(app, ctx, birthday=date(2999, 1, 1))
    with pytest.raises(ValidationError, match="BCP 47"):
        make_person(app, ctx, language="Vietnamese")
    with pytest.raises(NotFound, match="staff add"):
        make_person(app, ctx, manager_email="nobody@shop.vn")
    make_person(app, ctx, external_id="C-1")
    with pytest.raises(Conflict, match="C-1"):
        make_person(app, ctx, external_id="C-1")


def test_a_full_name_is_split_by_language(app: App, ctx: BusinessContext) -> None:
    es = make_person(app, ctx, name="María José García López", language="es-ES")
    assert (es.given_name, es.family_name, es.language) == ("María José", "García López", "es-ES")
    parts = make_person(app, ctx, name=None, family_name="Nguyễn", given_name="Bình")
    assert parts.display_name == "Nguyễn Bình"  # in Vietnamese the family name comes first


def test_search_finds_phones_typed_any_way_names_emails_and_external_ids(
    app: App, ctx: BusinessContext
) -> None:
    an = make_person(app, ctx, phones=["0912345678"], emails=["an@gmail.com"], external_id="K7")
    make_person(app, ctx, name="Trần Thị Bình", phones=["0987654321"])

    def ids(q: str) -> list[tuple[int, str]]:
        return [(h.customer.id, h.matched) for h in search_customers(app.uow(), ctx=ctx, query=q)]

    for typed in ("+84 91 234 5678", "091-234-5678", "(0912) 345.678"):
        assert ids(typed) == [(an.id, "phone")]
    assert ids("345678") == [(an.id, "phone")]  # the end of a number
    assert ids("AN@GMAIL.COM") == [(an.id, "email")]
    assert ids("K7") == [(an.id, "external_id")]
    assert ids("nguyen an") == [(an.id, "name")]  # no accents, any order
    assert ids("Văn") == [(an.id, "name")]
    assert ids("Hùng") == []
    with pytest.raises(ValidationError):
        search_customers(app.uow(), ctx=ctx, query="  ")


def test_list_filters_and_pages_in_a_stable_order(app: App, ctx: BusinessContext) -> None:
    make_staff(app, ctx, "lan@shop.vn")
    a = make_person(app, ctx, tags=["vip"], manager_email="lan@shop.vn", region="Hà Nội")
    b = make_person(app, ctx, name="Somchai Jaidee", language="th-TH", potential="former")
    c = make_company(app, ctx, department="B2B", region="HÀ NỘI")

    def ids(**kw: object) -> list[int]:
        return [s.id for s in list_customers(app.uow(), ctx=ctx, **kw)]  # type: ignore[arg-type]

    assert ids() == [a.id, b.id, c.id]
    assert ids(kind="company") == [c.id]
    assert ids(tag="VIP") == [a.id]
    assert ids(manager_email="LAN@shop.vn") == [a.id]
    assert ids(department="B2B") == [c.id]
    assert ids(language="th") == [b.id]
    assert ids(potential="former") == [b.id]
    assert ids(region="hà nội") == [a.id, c.id]
    assert ids(limit=2) + ids(limit=2, offset=2) == [a.id, b.id, c.id]
    with pytest.raises(NotFound):
        ids(department="Nowhere")


def test_update_changes_only_what_is_given(app: App, ctx: BusinessContext) -> None:
    d = make_person(app, ctx, phones=["0912345678"], birthday=date(1990, 1, 1), tags=["vip"])
    d2 = update_customer(
        app.uow(), ctx=ctx, customer_id=d.id, name="Nguyễn Văn Bình", birthday=None,
        add_phone_numbers=["0987654321"], remove_phone_numbers=["+84912345678"],
        add_tag_values=["loyal"], remove_tag_values=["VIP"], region="Huế",
    )  # fmt: skip
    assert d2.display_name == "Nguyễn Văn Bình" and d2.given_name == "Bình"
    assert d2.birthday is None and d2.region == "Huế" and d2.language == "vi"
    assert [p.e164 for p in d2.phones] == ["+84987654321"]
    assert d2.tags == ["loyal"]
    hits = search_customers(app.uow(), ctx=ctx, query="binh")
    assert [h.customer.id for h in hits] == [d.id]


def test_companies_have_contacts_at_several_levels(app: App, ctx: BusinessContext) -> None:
    co = make_company(app, ctx, founded_on=date(2010, 3, 15))
    ceo = add_contact(
        app.uow(), ctx=ctx, customer_id=co.id, name="Trần Thị Bình", language="vi",
        level="CEO", buying_role="decision maker", stance="supporter", phones=["0987 654 321"],
    )  # fmt: skip
    add_contact(app.uow(), ctx=ctx, customer_id=co.id, given_name="Hùng", level="accountant",
                buying_role="finance", stance="opponent", emails=["Hung@MinhPhat.vn"])  # fmt: skip
    d = show_customer(app.uow(), ctx=ctx, customer_id=co.id)
    assert d.founded_on == date(2010, 3, 15) and d.age_band is None
    assert [(k.level, k.buying_role, k.stance) for k in d.contacts] == [
        ("ceo", "decision_maker", "supporter"),
        ("accountant", "finance", "opponent"),
    ]
    assert d.contacts[0].family_name == "Trần" and d.contacts[0].phones == ["+84987654321"]
    assert d.contacts[1].emails == ["hung@minhphat.vn"]
    assert d.phones == [] and d.emails == []  # contacts' numbers are not the company's own
    assert ceo.display_name == "Trần Thị Bình"
    with pytest.raises(ValidationError, match="stance"):
        add_contact(app.uow(), ctx=ctx, customer_id=co.id, name="X Y", stance="hostile")
    renamed = update_customer(app.uow(), ctx=ctx, customer_id=co.id, name="Minh Phát JSC")
    assert renamed.display_name == "Minh Phát JSC"
    assert [h.customer.id for h in search_customers(app.uow(), ctx=ctx, query="minh phat")] == [
        co.id
    ]
    with pytest.raises(InvalidName):
        update_customer(app.uow(), ctx=ctx, customer_id=co.id, given_name="Lan")
    person = make_person(app, ctx)
    with pytest.raises(ValidationError, match="companies"):
        add_contact(app.uow(), ctx=ctx, customer_id=person.id, name="Lê Hoa")


def test_consent_history_is_kept_and_the_latest_entry_is_in_force(
    app: App, ctx: BusinessContext
) -> None:
    d = make_person(app, ctx)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)

    def record(granted: bool, source: str, month: int) -> None:
        record_consent(
            app.uow(), ctx=ctx, customer_id=d.id, channel="email", purpose="marketing",
            granted=granted, source=source, at=t0.replace(month=month),
        )  # fmt: skip

    record(True, "web form", 1)
    record(False, "phone call", 3)
    record_consent(app.uow(), ctx=ctx, customer_id=d.id, channel="sms", purpose="service",
                   granted=True, source="till")  # fmt: skip
    history = consent_history(app.uow(), ctx=ctx, customer_id=d.id)
    assert [(c.channel, c.granted, c.source) for c in history] == [
        ("email", True, "web form"),
        ("email", False, "phone call"),
        ("sms", True, "till"),
    ]
    current = {
        (c.channel, c.purpose): c
        for c in show_customer(app.uow(), ctx=ctx, customer_id=d.id).consents
    }
    assert current[("email", "marketing")].granted is False
    assert current[("email", "marketing")].source == "phone call"
    assert not may_contact(
        app.uow(), ctx=ctx, customer_id=d.id, channel="email", purpose="marketing"
    )
    assert may_contact(app.uow(), ctx=ctx, customer_id=d.id, channel="sms", purpose="service")
    assert not may_contact(app.uow(), ctx=ctx, customer_id=d.id, channel="post", purpose="service")
    with pytest.raises(ValidationError, match="channel"):
        record_consent(app.uow(), ctx=ctx, customer_id=d.id, channel="pigeon",
                       purpose="marketing", granted=True, source="x")  # fmt: skip


def test_notes_carry_their_author_and_time(app: App, ctx: BusinessContext) -> None:
    make_staff(app, ctx, "lan@shop.vn")
    d = make_person(app, ctx)
    add_note(app.uow(), ctx=ctx, customer_id=d.id, body="Likes phở bò", author_email="lan@shop.vn")
    add_note(app.uow(), ctx=ctx, customer_id=d.id, body="Birthday gift sent")
    notes = show_customer(app.uow(), ctx=ctx, customer_id=d.id).notes
    assert [(n.body, n.author) for n in notes] == [
        ("Likes phở bò", "lan@shop.vn"),
        ("Birthday gift sent", None),
    ]
    assert notes[0].created_at.tzinfo is not None


def test_first_deal_comes_from_the_first_order_unless_set_by_hand(
    app: App, ctx: BusinessContext
) -> None:
    d = make_person(app, ctx)
    # 20:00 UTC on 31 Dec is already 1 Jan in Ho Chi Minh City.
    make_order(app, ctx, d.id, placed_at=datetime(2022, 12, 31, 20, 0, tzinfo=UTC))
    make_order(app, ctx, d.id, placed_at=datetime(2024, 6, 1, tzinfo=UTC))
    make_order(app, ctx, d.id, placed_at=datetime(2020, 1, 1, tzinfo=UTC), status="cancelled")
    shown = show_customer(app.uow(), ctx=ctx, customer_id=d.id)
    assert shown.first_deal_on == date(2023, 1, 1)
    assert shown.order_count == 2
    assert shown.last_order_at == datetime(2024, 6, 1, tzinfo=UTC)
    fixed = update_customer(app.uow(), ctx=ctx, customer_id=d.id, first_deal_on=date(2019, 9, 9))
    assert fixed.first_deal_on == date(2019, 9, 9) and fixed.first_deal_overridden


def test_customers_are_found_by_id_or_external_id(app: App, ctx: BusinessContext) -> None:
    a = make_person(app, ctx, external_id="C-1")
    b = make_person(app, ctx, external_id=str(a.id + 100))
    assert resolve_customer(app.uow(), ctx=ctx, ref=str(a.id)) == a.id
    assert resolve_customer(app.uow(), ctx=ctx, ref="C-1") == a.id
    assert resolve_customer(app.uow(), ctx=ctx, ref=f"ext:{a.id + 100}") == b.id
    with pytest.raises(NotFound):
        resolve_customer(app.uow(), ctx=ctx, ref="nope")


def test_a_second_business_cannot_see_the_first_ones_customers(
    app: App, ctx: BusinessContext
) -> None:
    a = make_person(app, ctx, phones=["0912345678"], external_id="C-1")
    other = ensure_business(app.uow(), slug="other", default_region="TH")
    assert list_customers(app.uow(), ctx=other) == []
    assert search_customers(app.uow(), ctx=other, query="0912345678") == []
    assert search_customers(app.uow(), ctx=other, query="nguyen") == []
    with pytest.raises(NotFound):
        show_customer(app.uow(), ctx=other, customer_id=a.id)
    with pytest.raises(NotFound):
        resolve_customer(app.uow(), ctx=other, ref="C-1")
    with pytest.raises(NotFound):
        add_note(app.uow(), ctx=other, customer_id=a.id, body="hi")
    theirs = make_person(app, other, external_id="C-1", phones=["081 234 5678"])
    with pytest.raises(NotFound):
        merge_customers(app.uow(), ctx=ctx, survivor_id=a.id, merged_id=theirs.id)
    assert [s.id for s in list_customers(app.uow(), ctx=ctx)] == [a.id]
    with app.uow() as uow:  # the other business's number was read in its own region
        assert uow.session.scalar(select(Phone.e164).where(Phone.customer_id == theirs.id)) == (
            "+66812345678"
        )
