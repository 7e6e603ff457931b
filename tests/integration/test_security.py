"""Tenants, staff logins with lockout, grants and the append-only audit log (issue 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from regulars.bootstrap import App
from regulars.domain.access import Permission
from regulars.domain.errors import Conflict, LoginRefused, ValidationError
from regulars.services import users
from regulars.services.audit import audit_events
from regulars.services.businesses import find_business
from regulars.services.consents import record_consent
from regulars.services.context import BusinessContext
from regulars.services.customer_queries import show_customer
from regulars.services.customers import enroll_customer, update_customer
from regulars.store.audit_tables import AuditEvent, AuditLogIsAppendOnly
from regulars.store.tables import StaffUser

PASSWORD = "correct horse battery"


@pytest.fixture
def shop(app: App) -> BusinessContext:
    t = users.create_tenant(app.uow(), name="Cà phê Sài Gòn", default_region="VN")
    assert t.slug == "ca-phe-sai-gon"
    ctx = find_business(app.uow(), slug=t.slug)
    users.add_user(app.uow(), ctx=ctx, email="Lan@Cafe.vn", role="manager", password=PASSWORD)
    return ctx


def test_tenant_slug_is_unique(app: App, shop: BusinessContext) -> None:
    with pytest.raises(Conflict):
        users.create_tenant(app.uow(), name="Ca phe Sai Gon")
    with pytest.raises(ValidationError):
        users.create_tenant(app.uow(), name="   ")


def test_log_in_with_the_right_password(app: App, shop: BusinessContext) -> None:
    who = users.log_in(app.uow(), tenant=shop.slug, email="lan@cafe.vn", password=PASSWORD)
    assert (who.email, who.role, who.ctx.source, who.ctx.actor) == (
        "lan@cafe.vn",
        "manager",
        "web",
        "lan@cafe.vn",
    )
    assert Permission.CUSTOMERS_WRITE in who.permissions
    with app.engine.connect() as c:
        stored = c.scalar(select(StaffUser.password_hash).where(StaffUser.id == who.user_id))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored


def test_every_refusal_says_the_same(app: App, shop: BusinessContext) -> None:
    messages = set()
    for tenant, email, password in (
        (shop.slug, "lan@cafe.vn", "wrong password!"),
        (shop.slug, "nobody@cafe.vn", PASSWORD),
        ("other-shop", "lan@cafe.vn", PASSWORD),
    ):
        with pytest.raises(LoginRefused) as e:
            users.log_in(app.uow(), tenant=tenant, email=email, password=password)
        messages.add(e.value.message)
    assert len(messages) == 1


def test_lockout_after_five_failures_then_it_lifts(app: App, shop: BusinessContext) -> None:
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    for i in range(users.MAX_FAILURES):
        with pytest.raises(LoginRefused):
            users.log_in(
                app.uow(), tenant=shop.slug, email="lan@cafe.vn", password=f"guess {i}", at=t0
            )
    with pytest.raises(LoginRefused):  # locked: even the right password is refused
        users.log_in(app.uow(), tenant=shop.slug, email="lan@cafe.vn", password=PASSWORD, at=t0)
    later = t0 + users.LOCKOUT + timedelta(seconds=1)
    who = users.log_in(
        app.uow(), tenant=shop.slug, email="lan@cafe.vn", password=PASSWORD, at=later
    )
    assert who.email == "lan@cafe.vn"
    actions = [e.action for e in audit_events(app.uow(), ctx=shop, action="*", limit=50)]
    assert actions.count("login.failed") == users.MAX_FAILURES + 1
    assert "user.locked" in actions and actions[0] == "login"


def test_a_wrong_password_policy_adds_no_user(app: App, shop: BusinessContext) -> None:
    with pytest.raises(ValidationError, match="too short"):
        users.add_user(app.uow(), ctx=shop, email="x@cafe.vn", role="cashier", password="short")
    with pytest.raises(ValidationError, match="unknown role"):
        users.add_user(app.uow(), ctx=shop, email="x@cafe.vn", role="boss", password=PASSWORD)
    with app.engine.connect() as c:
        assert c.scalar(select(StaffUser.id).where(StaffUser.email == "x@cafe.vn")) is None


def test_grants_add_only_grantable_rights(app: App, shop: BusinessContext) -> None:
    users.add_user(app.uow(), ctx=shop, email="an@cafe.vn", role="analyst", password=PASSWORD)
    assert users.grant(app.uow(), ctx=shop, email="an@cafe.vn", right="analytics.personal") == [
        "analytics.personal"
    ]
    who = users.log_in(app.uow(), tenant=shop.slug, email="an@cafe.vn", password=PASSWORD)
    assert Permission.ANALYTICS_PERSONAL in who.permissions
    with pytest.raises(ValidationError, match="cannot be granted"):
        users.grant(app.uow(), ctx=shop, email="an@cafe.vn", right="users.admin")
    assert (
        users.grant(
            app.uow(), ctx=shop, email="an@cafe.vn", right="analytics.personal", revoke=True
        )
        == []
    )


def test_changes_and_views_of_a_dossier_are_audited(app: App, ctx: BusinessContext) -> None:
    c = enroll_customer(app.uow(), ctx=ctx, name="Nguyễn Thị Lan", phones=["0903123456"])
    update_customer(app.uow(), ctx=ctx, customer_id=c.id, add_email_addresses=["lan@x.vn"])
    record_consent(
        app.uow(),
        ctx=ctx,
        customer_id=c.id,
        channel="email",
        purpose="marketing",
        granted=True,
        source="web form",
    )
    show_customer(app.uow(), ctx=ctx, customer_id=c.id)
    events = audit_events(app.uow(), ctx=ctx, target_kind="customer", target_id=c.id)
    assert [e.action for e in events] == ["customer.view", "consent.record", "customer.update"]
    assert events[2].detail == {"fields": ["emails"]}  # names of fields, never their values
    assert all(e.source == "cli" and e.actor for e in events)


def test_the_audit_log_is_append_only(app: App, ctx: BusinessContext) -> None:
    c = enroll_customer(app.uow(), ctx=ctx, name="Somchai")
    show_customer(app.uow(), ctx=ctx, customer_id=c.id)
    with pytest.raises(AuditLogIsAppendOnly), app.uow() as uow:
        e = uow.session.scalars(select(AuditEvent)).first()
        assert e is not None
        e.action = "nothing.happened"
        uow.session.flush()
    with pytest.raises(AuditLogIsAppendOnly), app.uow() as uow:
        e = uow.session.scalars(select(AuditEvent)).first()
        uow.session.delete(e)
        uow.session.flush()


def test_one_business_never_sees_another_businesses_log(app: App, shop: BusinessContext) -> None:
    other = find_business(app.uow(), slug=users.create_tenant(app.uow(), name="Somtam Shop").slug)
    assert audit_events(app.uow(), ctx=other, action="user.*") == []
    assert [e.action for e in audit_events(app.uow(), ctx=shop, action="user.*")] == ["user.add"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"default_currency": "XYZ"}, "unknown currency"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"default_region": "QQ"}, "unknown region"),
    ],
)
def test_a_business_with_wrong_settings_is_refused(
    app: App, settings: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        users.create_tenant(app.uow(), name="Broken Shop", **settings)
