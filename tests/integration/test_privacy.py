"""Privacy: a customer's export, erasure that keeps the books, retention — SQLite and PostgreSQL.

The erasure test scans every text and JSON column of every table (found by reflecting the live
database, so tables added later are covered too) for the customer's names, phones, e-mails,
external ids and note texts: first to see that the scan finds them, then that nothing is left.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import JSON, MetaData, String, Text, cast, func, select, text, update
from sqlalchemy.engine import Engine

from regulars.analytics.backend import Scope, connect
from regulars.analytics.summary import summary
from regulars.bootstrap import App
from regulars.domain.errors import Conflict, NotFound, ValidationError
from regulars.services import loyalty as svc
from regulars.services.analytics_results import flag_key_account
from regulars.services.audit import audit_events
from regulars.services.businesses import ensure_business
from regulars.services.consents import record_consent
from regulars.services.contacts import add_contact, add_note
from regulars.services.context import BusinessContext
from regulars.services.customer_queries import list_customers, search_customers, show_customer
from regulars.services.customers import AddressIn, enroll_customer
from regulars.services.duplicates import find_duplicates, merge_customers
from regulars.services.orders import change_order_status, record_order
from regulars.services.privacy import (
    erase_customer,
    erase_inactive,
    export_customer,
    retention_cutoff,
)
from regulars.store.analytics_tables import CustomerScore
from regulars.store.loyalty_tables import LoyaltyCard
from regulars.store.replay_tables import StoredResponse
from regulars.store.tables import Customer, Order

# What identifies the person (or what they told us): none of it may survive an erasure.
SECRETS = (
    "Quaxworth",
    "Zebulon",
    "Ximena",
    "Fizzlebottom",
    "+84912345678",
    "+84913555111",
    "+84987654321",
    "zebulon.q@example.org",
    "ximena@fizz.example",
    "ZQ-77",
    "ZQ-OLD",
    "jade figurine",
    "Lotus Lane",
    "porch of the",
)


def _scan(engine: Engine, needles: tuple[str, ...]) -> dict[str, list[str]]:
    """needle → ["table.column", …] where it occurs (case-insensitive), in any text column."""
    meta = MetaData()
    meta.reflect(bind=engine)
    found: dict[str, list[str]] = {}
    with engine.connect() as c:
        for table in meta.sorted_tables:
            for col in table.columns:
                if not isinstance(col.type, String | Text | JSON):
                    continue
                as_text = func.lower(cast(col, Text))
                for needle in needles:
                    hit = c.scalar(
                        select(func.count())
                        .select_from(table)
                        .where(as_text.like(f"%{needle.lower()}%"))
                    )
                    if hit:
                        found.setdefault(needle, []).append(f"{table.name}.{col.name}")
    return found


def _revenue(engine: Engine, tenant_id: int) -> tuple[int, int]:
    with engine.connect() as c:
        row = c.execute(
            select(func.count(), func.coalesce(func.sum(Order.total_minor), 0)).where(
                Order.tenant_id == tenant_id
            )
        ).one()
    return int(row[0]), int(row[1])


def _summary(url: str, ctx: BusinessContext) -> Any:
    store = connect(url, Scope(ctx.tenant_id, "VND", ctx.timezone))
    try:
        return summary(store, datetime.now(UTC).date() + timedelta(days=1), days=3650)
    finally:
        store.close()


def _subject(app: App, ctx: BusinessContext) -> tuple[int, str]:
    """A company customer with everything: phones, e-mails, an address, notes, a contact with
    their own phone and e-mail, consent, orders with a delivery history, a duplicate merged into
    it, a stored score, a key-account flag and a loyalty card with an accrual and a redemption.
    Returns its id and its card number."""
    uow = app.uow
    main = enroll_customer(
        uow(),
        ctx=ctx,
        kind="company",
        name="Quaxworth Zebulon Trading",
        legal_name="Quaxworth Zebulon Trading LLC",
        external_id="ZQ-77",
        phones=["+84 912 345 678"],
        emails=["zebulon.q@example.org"],
        addresses=[AddressIn(line1="12 Lotus Lane", city="Hanoi", country="VN")],
        founded_on=datetime(2001, 5, 6).date(),
        tags=["vip"],
        interests=["jade figurine collecting"],
        region="Hoan Kiem",
    ).id
    dup = enroll_customer(
        uow(),
        ctx=ctx,
        kind="company",
        name="Quaxworth Zebulon Trading Co",
        external_id="ZQ-OLD",
        phones=["+84 987 654 321"],
    ).id
    merge_customers(uow(), ctx=ctx, survivor_id=main, merged_id=dup, reason="same Quaxworth")
    contact = add_contact(
        uow(),
        ctx=ctx,
        customer_id=main,
        name="Ximena Fizzlebottom Ngọc",
        level="owner",
        phones=["+84 913 555 111"],
        emails=["ximena@fizz.example"],
    )
    record_consent(
        uow(),
        ctx=ctx,
        customer_id=main,
        channel="email",
        purpose="marketing",
        granted=True,
        source="web form of Zebulon",
    )
    record_consent(
        uow(),
        ctx=ctx,
        customer_id=main,
        contact_id=contact.id,
        channel="sms",
        purpose="service",
        granted=True,
        source="till",
    )
    add_note(uow(), ctx=ctx, customer_id=main, body="Ximena would love a jade figurine")
    add_note(uow(), ctx=ctx, customer_id=main, body="Loud feedback", kind="feedback")
    first = record_order(uow(), ctx=ctx, customer_id=main, lines=[("TEA", 2, "450000")])
    change_order_status(
        uow(),
        ctx=ctx,
        order_id=first.id,
        status="paid",
        note="Zebulon paid cash",
        location="porch of the Quaxworth office",
    )
    record_order(uow(), ctx=ctx, customer_id=main, lines=[("CUP", 1, "120000")], status="paid")
    flag_key_account(app.engine, ctx.tenant_id, main, "reputation", note="Quaxworth is famous")
    now = datetime.now(UTC)
    with uow() as w:
        w.session.add(
            CustomerScore(
                customer_id=main,
                tenant_id=ctx.tenant_id,
                as_of=now.date(),
                computed_at=now,
                segment="loyal",
                value_band="A",
                frequency=2,
                monetary_minor=1_020_000,
                loyalty_score=70,
            )
        )
    card = svc.issue_card(uow(), ctx=ctx, program="CLUB", customer=main).number
    svc.accrue(uow(), ctx=ctx, card=card, order="ORD-1", amount="100")
    svc.redeem(uow(), ctx=ctx, card=card, order="ORD-2", amount="2")
    # The API's stored answers to the POSTs that created the customer and the contact.
    _stored_answer(app, ctx, "create-zq", {"id": main, "display_name": "Quaxworth Zebulon Trading"})
    _stored_answer(app, ctx, "contact-zq", {"id": contact.id, "display_name": contact.display_name})
    return main, card


def _stored_answer(app: App, ctx: BusinessContext, key: str, body: dict[str, Any]) -> None:
    with app.uow() as w:
        w.session.add(
            StoredResponse(
                tenant_id=ctx.tenant_id,
                key=key,
                request_hash="0" * 64,
                status=201,
                body=body,
                created_at=datetime.now(UTC),
            )
        )


def _stored_bodies(app: App) -> dict[str, Any]:
    with app.uow() as w:
        return dict(w.session.execute(select(StoredResponse.key, StoredResponse.body)).all())


@pytest.fixture
def bystander(app: App, ctx: BusinessContext) -> int:
    """Someone else, who must come through every erasure untouched."""
    d = enroll_customer(
        app.uow(), ctx=ctx, name="Trần Thị Bình", phones=["0903 111 222"], external_id="B-1"
    )
    record_order(app.uow(), ctx=ctx, customer_id=d.id, lines=[("TEA", 1, "300000")])
    add_note(app.uow(), ctx=ctx, customer_id=d.id, body="Bystander note")
    _stored_answer(app, ctx, "create-b", {"id": d.id, "display_name": "Trần Thị Bình"})
    return d.id


def test_erasure_removes_every_trace_and_keeps_the_books(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo, bystander: int, db_url: str
) -> None:
    main, card = _subject(app, ctx)
    before = _scan(app.engine, SECRETS)
    assert set(before) == set(SECRETS), f"the scan misses {set(SECRETS) - set(before)}"
    revenue = _revenue(app.engine, ctx.tenant_id)
    figures = _summary(db_url, ctx)
    balance = svc.card_balance(app.uow(), ctx=ctx, number=card)
    assert balance.available == Decimal("3.00")
    assert svc.verify_ledger(app.uow(), ctx=ctx).ok

    result = erase_customer(app.uow(), ctx, main, "request by letter")

    assert not result.already_erased
    assert result.display_name == f"Erased customer #{main}"
    assert result.cards_blocked == 1
    assert len(result.merged_customers) == 1
    assert result.removed["phones"] == 3  # own, the contact's, the duplicate's
    assert result.removed["contacts"] == 1 and result.removed["notes"] == 2
    assert result.kept == {"orders": 2, "cards": 1, "ledger_entries": 2}
    assert _scan(app.engine, SECRETS) == {}
    assert result.removed["api_answers"] == 2
    assert _stored_bodies(app) == {
        "create-zq": {"erased": True},
        "contact-zq": {"erased": True},
        "create-b": {"id": bystander, "display_name": "Trần Thị Bình"},
    }
    # The books: revenue, ledger, card balance and the analytics summary are as they were.
    assert _revenue(app.engine, ctx.tenant_id) == revenue
    assert svc.verify_ledger(app.uow(), ctx=ctx).ok
    after = svc.card_balance(app.uow(), ctx=ctx, number=card)
    assert (after.available, after.pending, after.status) == (Decimal("3.00"), 0, "blocked")
    assert _summary(db_url, ctx) == figures
    with app.uow() as w:
        c = w.session.get_one(Customer, main)
        assert (c.status, c.display_name, c.birthday, c.founded_on) == (
            "erased",
            f"Erased customer #{main}",
            None,
            None,
        )
        assert c.external_id is not None and c.external_id.startswith("erased-")
        assert w.session.scalar(select(LoyaltyCard.customer_id)) == main
        assert w.session.scalar(select(func.count()).where(Order.customer_id == main)) == 2
    # The erasure is audited, without what it removed.
    events = audit_events(app.uow(), ctx=ctx, action="customer.erase")
    assert [(e.target_id, e.detail and e.detail["reason"]) for e in events] == [
        (main, "request by letter")
    ]
    # The bystander is untouched; the erased customer is gone from lists, search, duplicates.
    assert show_customer(app.uow(), ctx=ctx, customer_id=bystander).phones[0].e164 == (
        "+84903111222"
    )
    assert [c.id for c in list_customers(app.uow(), ctx=ctx)] == [bystander]
    assert search_customers(app.uow(), ctx=ctx, query="Erased customer") == []
    assert search_customers(app.uow(), ctx=ctx, query="ZQ-77") == []
    assert find_duplicates(app.uow(), ctx=ctx) == []


def test_erasing_twice_says_so_and_merged_customers_point_to_the_survivor(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    main, _card = _subject(app, ctx)
    erase_customer(app.uow(), ctx, main)
    again = erase_customer(app.uow(), ctx, main)
    assert again.already_erased and again.removed == {} and again.cards_blocked == 0
    assert len(audit_events(app.uow(), ctx=ctx, action="customer.erase")) == 2
    merged_id = erase_customer(app.uow(), ctx, main).merged_customers[0]
    with app.uow() as w:
        w.session.execute(update(Customer).where(Customer.id == merged_id).values(status="merged"))
    with pytest.raises(Conflict, match="merged into customer"):
        erase_customer(app.uow(), ctx, merged_id)


def test_an_erased_customer_takes_no_new_note_or_card(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    from regulars.services.contacts import add_note

    main, _card = _subject(app, ctx)
    erase_customer(app.uow(), ctx, main)
    with pytest.raises(Conflict, match="erased"):
        add_note(app.uow(), ctx=ctx, customer_id=main, body="called again")
    with pytest.raises(Conflict, match="erased"):
        svc.issue_card(app.uow(), ctx=ctx, program="CLUB", customer=main)


def test_erasure_of_another_business_or_unknown_customer_is_not_found(
    app: App, ctx: BusinessContext
) -> None:
    theirs = enroll_customer(app.uow(), ctx=ctx, name="Mine Only").id
    other = ensure_business(app.uow(), slug="rival", default_currency="VND")
    with pytest.raises(NotFound):
        erase_customer(app.uow(), other, theirs)
    with pytest.raises(NotFound):
        erase_customer(app.uow(), ctx, theirs + 1000)
    assert show_customer(app.uow(), ctx=ctx, customer_id=theirs).display_name == "Mine Only"
    assert audit_events(app.uow(), ctx=other, action="customer.erase") == []


def test_export_holds_everything_and_is_plain_json(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo, bystander: int
) -> None:
    main, card = _subject(app, ctx)
    data = export_customer(app.uow(), ctx, main)

    json.dumps(data)  # plain data only: no Decimal, datetime or dataclass left
    c = data["customer"]
    assert (c["id"], c["external_id"], c["display_name"]) == (
        main,
        "ZQ-77",
        "Quaxworth Zebulon Trading",
    )
    assert [p["number"] for p in c["phones"]] == ["+84912345678", "+84987654321"]
    assert c["addresses"][0]["line1"] == "12 Lotus Lane"
    assert c["interests"] == ["jade figurine collecting"]
    assert [m["external_id"] for m in data["merged_customers"]] == ["ZQ-OLD"]
    assert [n["body"] for n in data["notes"]] == [
        "Ximena would love a jade figurine",
        "Loud feedback",
    ]
    assert data["contacts"][0]["phones"] == ["+84913555111"]
    assert len(data["consents"]) == 2
    orders = data["orders"]
    assert [o["total"] for o in orders] == [
        {"amount": "900000", "currency": "VND"},
        {"amount": "120000", "currency": "VND"},
    ]
    assert orders[0]["lines"][0]["sku"] == "TEA"
    assert orders[0]["history"][-1]["location"] == "porch of the Quaxworth office"
    cards = data["loyalty"]["cards"]
    assert [k["number"] for k in cards] == [card]
    assert cards[0]["balance"]["available"] == {"amount": "3.00", "unit": "EUR"}
    entries = data["loyalty"]["entries"]
    assert [(e["kind"], e["postings"][0]["amount"]["amount"]) for e in entries] == [
        ("accrue", "5.00"),
        ("redeem", "-2.00"),
    ]
    assert data["analytics"]["score"]["segment"] == "loyal"
    assert data["analytics"]["key_account_flags"][0]["note"] == "Quaxworth is famous"
    # Nothing of the bystander's; the export is audited and shows in the next one's access log.
    assert "Bystander" not in json.dumps(data)
    again = export_customer(app.uow(), ctx, main)
    assert [a["action"] for a in again["access_log"]][-1] == "customer.export"
    strip = ("exported_at", "access_log")
    assert {k: v for k, v in again.items() if k not in strip} == {
        k: v for k, v in data.items() if k not in strip
    }
    events = audit_events(app.uow(), ctx=ctx, action="customer.export")
    assert [e.target_id for e in events] == [main, main]


def test_export_of_unknown_or_foreign_customer_is_not_found(
    app: App, ctx: BusinessContext, bystander: int
) -> None:
    other = ensure_business(app.uow(), slug="rival", default_currency="VND")
    with pytest.raises(NotFound):
        export_customer(app.uow(), other, bystander)
    with pytest.raises(NotFound):
        export_customer(app.uow(), ctx, bystander + 1000)
    assert audit_events(app.uow(), ctx=other, action="customer.export") == []


def test_export_after_erasure_holds_no_personal_data(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    main, _card = _subject(app, ctx)
    erase_customer(app.uow(), ctx, main)
    data = export_customer(app.uow(), ctx, main)
    dumped = json.dumps(data).lower()
    assert [s for s in SECRETS if s.lower() in dumped] == []
    assert len(data["orders"]) == 2 and data["loyalty"]["cards"][0]["status"] == "blocked"


def _age(app: App, customer_id: int, when: datetime) -> None:
    with app.uow() as w:
        w.session.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(created_at=when, updated_at=when)
        )


def test_retention_erases_the_long_inactive_only(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo
) -> None:
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=8 * 366)
    old = enroll_customer(app.uow(), ctx=ctx, name="Old Quiet", phones=["0903 000 001"]).id
    record_order(
        app.uow(), ctx=ctx, customer_id=old, lines=[("TEA", 1, "1000")], placed_at=long_ago
    )
    _age(app, old, long_ago)
    buyer = enroll_customer(app.uow(), ctx=ctx, name="Old Buyer").id
    record_order(app.uow(), ctx=ctx, customer_id=buyer, lines=[("TEA", 1, "1000")])
    _age(app, buyer, long_ago)
    noted = enroll_customer(app.uow(), ctx=ctx, name="Old Noted").id
    add_note(app.uow(), ctx=ctx, customer_id=noted, body="called last week")
    _age(app, noted, long_ago)
    carded = enroll_customer(app.uow(), ctx=ctx, name="Old Carded").id
    card = svc.issue_card(app.uow(), ctx=ctx, program="CLUB", customer=carded).number
    svc.accrue(app.uow(), ctx=ctx, card=card, order="R-1", amount="10")
    _age(app, carded, long_ago)
    fresh = enroll_customer(app.uow(), ctx=ctx, name="New Face").id
    revenue = _revenue(app.engine, ctx.tenant_id)

    listed = erase_inactive(app.uow(), ctx, 5, dry_run=True)
    assert [(x.customer_id, x.erased) for x in listed] == [(old, False)]
    assert abs(listed[0].last_activity - long_ago) < timedelta(seconds=1)
    assert show_customer(app.uow(), ctx=ctx, customer_id=old).display_name == "Old Quiet"
    assert audit_events(app.uow(), ctx=ctx, action="customer.erase") == []

    done = erase_inactive(app.uow(), ctx, 5)
    assert [(x.customer_id, x.erased) for x in done] == [(old, True)]
    erased = show_customer(app.uow(), ctx=ctx, customer_id=old)
    assert (erased.status, erased.phones) == ("erased", [])
    for kept in (buyer, noted, carded, fresh):
        assert show_customer(app.uow(), ctx=ctx, customer_id=kept).status == "active"
    assert _revenue(app.engine, ctx.tenant_id) == revenue
    events = audit_events(app.uow(), ctx=ctx, action="customer.erase")
    assert [(e.target_id, e.detail and e.detail["retention_years"]) for e in events] == [(old, 5)]
    assert erase_inactive(app.uow(), ctx, 5) == []
    # Ten years back, nobody is old enough.
    assert erase_inactive(app.uow(), ctx, 10, dry_run=True) == []


def test_retention_needs_a_period_of_a_year_at_least(app: App, ctx: BusinessContext) -> None:
    with pytest.raises(ValidationError):
        erase_inactive(app.uow(), ctx, 0)


def test_scan_sees_json_columns(app: App, ctx: BusinessContext) -> None:
    """The scanner itself: a needle only inside a JSON column is found."""
    a = enroll_customer(app.uow(), ctx=ctx, name="Jsonly Needleperson").id
    b = enroll_customer(app.uow(), ctx=ctx, name="Jsonly Needleperson").id
    merge_customers(app.uow(), ctx=ctx, survivor_id=a, merged_id=b)
    with app.uow() as w:
        w.session.execute(
            text(
                "UPDATE customers SET display_name = 'x', name_key = 'x', family_name = NULL, "
                "given_name = NULL"
            )
        )
    assert _scan(app.engine, ("needleperson",)) == {"needleperson": ["customer_merges.details"]}


def test_retention_cutoff_counts_calendar_years() -> None:
    assert retention_cutoff(2, datetime(2026, 3, 1, tzinfo=UTC)) == datetime(2024, 3, 1, tzinfo=UTC)
    assert retention_cutoff(1, datetime(2028, 2, 29, tzinfo=UTC)) == datetime(
        2027, 2, 28, tzinfo=UTC
    )
