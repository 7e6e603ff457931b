"""Likely duplicates and merging them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from regulars.bootstrap import App
from regulars.domain.duplicates import ReasonKind
from regulars.domain.errors import Conflict, MergeRefused, NotFound
from regulars.services.consents import consent_history, record_consent
from regulars.services.contacts import add_contact, add_note
from regulars.services.context import BusinessContext
from regulars.services.customer_queries import list_customers, search_customers, show_customer
from regulars.services.customers import AddressIn
from regulars.services.duplicates import MAX_SHARED, find_duplicates, merge_customers
from regulars.store.tables import CustomerMerge, Email, Order, Phone
from tests.fixtures.customers import make_company, make_order, make_person, make_staff


def _pairs(app: App, ctx: BusinessContext) -> dict[tuple[int, int], set[ReasonKind]]:
    return {
        (p.a.id, p.b.id): {r.kind for r in p.reasons} for p in find_duplicates(app.uow(), ctx=ctx)
    }


def test_duplicates_are_found_by_phone_email_and_name_with_reasons(
    app: App, ctx: BusinessContext
) -> None:
    a = make_person(app, ctx, phones=["0912 345 678"])
    b = make_person(app, ctx, name="Trần Thị Bình", phones=["+84912345678"])
    c = make_person(app, ctx, name="Lê Văn Hùng", emails=["hung@gmail.com"])
    d = make_person(app, ctx, name="Lê Hùng", emails=["HUNG@gmail.com"])
    e = make_person(app, ctx, name="nguyen van an")  # same name as a, nothing else
    make_person(app, ctx, name="Phạm Minh Tuấn", phones=["0987654321"])
    co = make_company(app, ctx, name="Nguyễn Văn An")  # a company is never a person's twin
    add_contact(app.uow(), ctx=ctx, customer_id=co.id, name="Lê Lan", phones=["0912345678"])
    pairs = _pairs(app, ctx)
    assert pairs == {
        (a.id, b.id): {ReasonKind.SAME_PHONE},
        (c.id, d.id): {ReasonKind.SAME_EMAIL, ReasonKind.SIMILAR_NAME},
        (a.id, e.id): {ReasonKind.SAME_NAME},
    }
    ranked = find_duplicates(app.uow(), ctx=ctx)
    assert (ranked[0].a.id, ranked[0].b.id) == (c.id, d.id)  # e-mail + name beats phone
    assert ranked[0].a.display_name == "Lê Văn Hùng"
    assert [(p.a.id, p.b.id) for p in find_duplicates(app.uow(), ctx=ctx, min_score=0.6)] == [
        (c.id, d.id),
        (a.id, b.id),
    ]


def test_a_number_shared_by_many_customers_is_a_placeholder_not_a_duplicate(
    app: App, ctx: BusinessContext
) -> None:
    names = [
        "Anna",
        "Carlos",
        "Dmitri",
        "Elena",
        "Farid",
        "Greta",
        "Hiroshi",
        "Ingrid",
        "Jorge",
        "Kaisa",
        "Lucas",
    ]
    for given in names[: MAX_SHARED + 1]:
        make_person(app, ctx, name=f"{given} Shopfront", language="en", phones=["0283 822 2222"])
    assert find_duplicates(app.uow(), ctx=ctx) == []


def test_merge_moves_everything_to_the_survivor(app: App, ctx: BusinessContext) -> None:
    make_staff(app, ctx, "lan@shop.vn")
    keep = make_person(
        app, ctx, phones=["0912345678"], emails=["an@gmail.com"], tags=["vip"],
        addresses=[AddressIn("12 Lê Lợi", city="Hà Nội")], external_id="POS-1",
        first_deal_on=date(2023, 5, 1),
    )  # fmt: skip
    gone = make_person(
        app, ctx, name="Nguyen Van An", phones=["+84 912 345 678", "0987654321"],
        emails=["an.nguyen@work.vn"], tags=["VIP", "loyal"], interests=["phở"],
        addresses=[AddressIn("12 Le Loi", city="Ha Noi"), AddressIn("5 Trần Phú", city="Huế")],
        birthday=date(1990, 5, 1), manager_email="lan@shop.vn", external_id="WEB-9",
        first_deal_on=date(2021, 3, 4),
    )  # fmt: skip
    make_order(app, ctx, gone.id, placed_at=datetime(2024, 1, 2, tzinfo=UTC))
    make_order(app, ctx, keep.id)
    add_note(app.uow(), ctx=ctx, customer_id=gone.id, body="Called about a refund")
    record_consent(app.uow(), ctx=ctx, customer_id=gone.id, channel="email",
                   purpose="marketing", granted=True, source="web")  # fmt: skip

    report = merge_customers(
        app.uow(), ctx=ctx, survivor_id=keep.id, merged_id=gone.id, reason="same person"
    )
    assert report.moved["orders"] == 1 and report.moved["notes"] == 1
    assert report.moved["phones"] == 1 and report.dropped_duplicates["phones"] == ["+84912345678"]
    assert report.dropped_duplicates["tags"] == ["tag:vip"]
    assert report.dropped_duplicates["addresses"] == ["12 Le Loi"]

    d = show_customer(app.uow(), ctx=ctx, customer_id=keep.id)
    assert d.display_name == "Nguyễn Văn An" and d.external_id == "POS-1"
    assert [p.e164 for p in d.phones] == ["+84912345678", "+84987654321"]
    assert [p.primary for p in d.phones] == [True, False]  # still one primary number
    assert {e.address for e in d.emails} == {"an@gmail.com", "an.nguyen@work.vn"}
    assert (d.tags, d.interests) == (["loyal", "vip"], ["phở"])
    assert sorted(a.line1 for a in d.addresses) == ["12 Lê Lợi", "5 Trần Phú"]
    assert d.birthday == date(1990, 5, 1) and d.manager == "lan@shop.vn"  # blanks filled
    assert d.first_deal_on == date(2021, 3, 4)  # the earlier first deal
    assert d.order_count == 2 and [n.body for n in d.notes] == ["Called about a refund"]
    assert [c.channel for c in consent_history(app.uow(), ctx=ctx, customer_id=keep.id)] == [
        "email"
    ]
    assert [m.reason for m in d.merges] == ["same person"]
    fields = d.merges[0].details["fields"]
    assert fields["filled"]["birthday"] == "1990-05-01"
    assert {c["field"] for c in fields["conflicts"]} >= {"display_name", "first_deal_on"}

    with app.uow() as uow:
        s = uow.session
        for model in (Order, Phone, Email):
            left = select(func.count()).select_from(model).where(model.customer_id == gone.id)
            assert s.scalar(left) == 0
        assert s.scalar(select(func.count()).select_from(CustomerMerge)) == 1

    merged = show_customer(app.uow(), ctx=ctx, customer_id=gone.id)
    assert (merged.status, merged.merged_into_id) == ("merged", keep.id)
    assert [c.id for c in list_customers(app.uow(), ctx=ctx)] == [keep.id]
    hits = search_customers(app.uow(), ctx=ctx, query="WEB-9")  # the old id leads on
    assert [(h.customer.id, h.matched) for h in hits] == [(keep.id, "external_id")]
    assert find_duplicates(app.uow(), ctx=ctx) == []


def test_contacts_move_with_their_own_phones(app: App, ctx: BusinessContext) -> None:
    keep, gone = make_company(app, ctx), make_company(app, ctx, name="Minh Phat Trading Co")
    add_contact(app.uow(), ctx=ctx, customer_id=gone.id, name="Lê Lan", phones=["0912345678"])
    merge_customers(app.uow(), ctx=ctx, survivor_id=keep.id, merged_id=gone.id)
    d = show_customer(app.uow(), ctx=ctx, customer_id=keep.id)
    assert [(k.display_name, k.phones) for k in d.contacts] == [("Lê Lan", ["+84912345678"])]
    assert d.phones == []


def test_merges_that_make_no_sense_are_refused(app: App, ctx: BusinessContext) -> None:
    a, b, c = make_person(app, ctx), make_person(app, ctx), make_person(app, ctx)
    co = make_company(app, ctx)
    with pytest.raises(MergeRefused, match="itself"):
        merge_customers(app.uow(), ctx=ctx, survivor_id=a.id, merged_id=a.id)
    with pytest.raises(MergeRefused, match="same kind"):
        merge_customers(app.uow(), ctx=ctx, survivor_id=a.id, merged_id=co.id)
    with pytest.raises(NotFound):
        merge_customers(app.uow(), ctx=ctx, survivor_id=a.id, merged_id=99_999)
    merge_customers(app.uow(), ctx=ctx, survivor_id=a.id, merged_id=b.id)
    with pytest.raises(MergeRefused, match="already merged"):
        merge_customers(app.uow(), ctx=ctx, survivor_id=c.id, merged_id=b.id)
    with pytest.raises(MergeRefused, match="already merged"):
        merge_customers(app.uow(), ctx=ctx, survivor_id=b.id, merged_id=c.id)
    with pytest.raises(Conflict, match=f"merged into customer {a.id}"):
        add_note(app.uow(), ctx=ctx, customer_id=b.id, body="late note")


def test_a_dry_run_changes_nothing(app: App, ctx: BusinessContext) -> None:
    a, b = make_person(app, ctx), make_person(app, ctx, phones=["0912345678"])
    report = merge_customers(app.uow(), ctx=ctx, survivor_id=a.id, merged_id=b.id, dry_run=True)
    assert report.dry_run and report.merge_id is None and report.moved["phones"] == 1
    assert show_customer(app.uow(), ctx=ctx, customer_id=b.id).status == "active"
    assert show_customer(app.uow(), ctx=ctx, customer_id=a.id).phones == []


def test_earlier_merges_follow_the_survivor(app: App, ctx: BusinessContext) -> None:
    a, b, c = make_person(app, ctx), make_person(app, ctx), make_person(app, ctx)
    merge_customers(app.uow(), ctx=ctx, survivor_id=b.id, merged_id=a.id)
    merge_customers(app.uow(), ctx=ctx, survivor_id=c.id, merged_id=b.id)
    assert show_customer(app.uow(), ctx=ctx, customer_id=a.id).merged_into_id == c.id
    assert [m.merged_id for m in show_customer(app.uow(), ctx=ctx, customer_id=c.id).merges] == [
        b.id
    ]
