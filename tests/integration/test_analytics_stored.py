"""What analytics keep in the store (scores, playbooks, key flags) and the morning briefing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from regulars.analytics.key_accounts import key_accounts
from regulars.analytics.occasions import upcoming
from regulars.bootstrap import App
from regulars.domain.errors import NotFound, ValidationError
from regulars.services import analytics_results as kept
from regulars.services.briefing import morning_briefing
from regulars.services.context import BusinessContext
from regulars.services.customers import enroll_customer
from regulars.store.analytics_tables import CustomerScore
from tests.fixtures.analytics import AS_OF, build_analytics_data


def test_scores_are_stored_and_replaced(app: App, ctx: BusinessContext, db_url: str) -> None:
    data = build_analytics_data(app, ctx, db_url)
    store = data.store()
    try:
        assert kept.store_scores(app.engine, store, AS_OF, None) == 8
        assert kept.store_scores(app.engine, store, AS_OF, None) == 8  # replaced, not added
    finally:
        store.close()
    with app.engine.connect() as c:
        rows = {r.customer_id: r for r in c.execute(select(CustomerScore)).all()}
    assert len(rows) == 8
    alpha = rows[data.ids["Alpha"]]
    assert (alpha.segment, alpha.value_band, alpha.monetary_minor) == ("loyal", "A", 9_000_000)
    assert rows[data.ids["Eta"]].segment == "target"
    assert all(r.as_of == AS_OF for r in rows.values())


def test_refresh_stores_the_lifetime_value_forecast(
    app: App, ctx: BusinessContext, db_url: str
) -> None:
    data = build_analytics_data(app, ctx, db_url)
    assert kept.last_refresh(app.engine, ctx.tenant_id) is None
    store = data.store()
    try:
        r = kept.refresh_scores(app.engine, store, AS_OF)
    finally:
        store.close()
    assert (r.customers, r.forecast, r.as_of) == (8, True, AS_OF)
    assert kept.last_refresh(app.engine, ctx.tenant_id) == r.computed_at
    with app.engine.connect() as c:
        rows = {r.customer_id: r for r in c.execute(select(CustomerScore)).all()}
    eta = rows[data.ids["Eta"]]  # never bought: nothing to forecast
    assert (eta.p_alive, eta.expected_purchases_12m, eta.clv_minor) == (None, None, None)
    buyers = [r for cid, r in rows.items() if cid != data.ids["Eta"]]
    assert all(0 <= r.p_alive <= 1 and r.expected_purchases_12m >= 0 for r in buyers)
    assert all(r.clv_minor >= 0 for r in buyers)
    # Alpha buys often and much; Epsilon bought once, long ago.
    assert rows[data.ids["Alpha"]].clv_minor > rows[data.ids["Epsilon"]].clv_minor


def test_playbooks_have_defaults_and_can_be_edited(app: App, ctx: BusinessContext) -> None:
    books = kept.playbooks(app.engine, ctx.tenant_id)
    assert books["loyal"].startswith("Grow their potential")
    assert "awareness" in books["target"]
    kept.set_playbook(app.engine, ctx.tenant_id, "loyal", "Invite them to the tasting club.")
    kept.set_playbook(app.engine, ctx.tenant_id, "loyal", "Invite them to the VIP tasting.")
    assert kept.playbooks(app.engine, ctx.tenant_id)["loyal"] == "Invite them to the VIP tasting."
    with pytest.raises(ValidationError, match="unknown segment"):
        kept.set_playbook(app.engine, ctx.tenant_id, "vip", "x")


def test_manual_key_flags_sit_beside_key_accounts(
    app: App, ctx: BusinessContext, db_url: str
) -> None:
    data = build_analytics_data(app, ctx, db_url)
    kept.flag_key_account(app.engine, ctx.tenant_id, data.ids["Delta"], "reputation", "famous")
    kept.flag_key_account(app.engine, ctx.tenant_id, data.ids["Alpha"], "Demanding")
    with pytest.raises(ValidationError, match="unknown key kind"):
        kept.flag_key_account(app.engine, ctx.tenant_id, data.ids["Alpha"], "vip")
    with pytest.raises(NotFound):
        kept.flag_key_account(app.engine, ctx.tenant_id, 999_999, "innovator")
    store = data.store()
    try:
        r = key_accounts(store, AS_OF)
        assert r.accounts[0].name == "Alpha" and r.accounts[0].kinds == ["demanding"]
        assert [(f.name, f.kinds) for f in r.flagged] == [
            ("Alpha", ["demanding"]),
            ("Delta", ["reputation"]),
        ]
        assert kept.unflag_key_account(app.engine, ctx.tenant_id, data.ids["Delta"], "reputation")
        assert [f.name for f in key_accounts(store, AS_OF).flagged] == ["Alpha"]
    finally:
        store.close()


def test_briefing_gathers_the_days_work(app: App, ctx: BusinessContext, db_url: str) -> None:
    data = build_analytics_data(app, ctx, db_url)
    enroll_customer(app.uow(), ctx=ctx, name="Lê Thị Hoa", birthday=date(1990, 7, 2))
    enroll_customer(app.uow(), ctx=ctx, name="Leap Day", birthday=date(2000, 2, 29))
    store = data.store()
    try:
        b = morning_briefing(app.uow, ctx=ctx, store=store, today=AS_OF)
        leap = upcoming(store, date(2027, 2, 25))
    finally:
        store.close()
    assert [(o.on, o.kind, o.name, o.years) for o in b.occasions] == [
        (date(2026, 7, 2), "birthday", "Lê Thị Hoa", 36)
    ]
    assert [(o.on, o.kind, o.name, o.years) for o in leap] == [
        (date(2027, 2, 28), "birthday", "Leap Day", 27),  # no 29 February in 2027
        (date(2027, 3, 1), "first_deal_anniversary", "Gamma", 1),
    ]
    assert [a.name for a in b.key_accounts] == ["Alpha", "Gamma", "Beta"]
    assert ("company", "Alpha", "critical") in [
        (d.level, d.largest_customer, d.band) for d in b.alarms
    ]
    assert [r.name for r in b.lapsed] == ["Beta", "Epsilon"]
    assert b.today == AS_OF and b.currency == "VND"
    assert b.unpaid_orders == [] and b.stuck_orders == []  # every order was delivered
