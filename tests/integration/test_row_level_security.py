"""PostgreSQL row-level security: connected as the application role, a query that forgets its
tenant filter still sees (and writes) only the acting business's rows.

The owner (migrations, the operator's CLI) sets things up; the checks run through an App
connected as the application role, the way `regulars serve` runs in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from regulars.bootstrap import App, make_app
from regulars.services import loyalty
from regulars.services.businesses import ensure_business
from regulars.services.context import BusinessContext
from regulars.services.customers import enroll_customer
from regulars.services.orders import record_order
from regulars.store.api_tables import add_api_key, key_of
from regulars.store.engine import make_engine
from regulars.store.rls import tenant_tables
from regulars.store.tables import Base
from regulars.store.tenancy import act_for, current_tenant
from tests.fixtures.loyalty import cashback_spec

pytestmark = pytest.mark.postgres


@pytest.fixture
def owner(pg_migrated_url: str) -> Iterator[App]:
    """The tables' owner, on the worker's database (emptied afterwards by truncation)."""
    from tests.conftest import _truncate_all

    a = make_app(pg_migrated_url)
    yield a
    a.close()
    _truncate_all(pg_migrated_url)


@pytest.fixture
def served(pg_app_url: str) -> Iterator[App]:
    a = make_app(pg_app_url)
    yield a
    a.close()


@pytest.fixture(autouse=True)
def _no_tenant_leaks() -> Iterator[None]:
    token = current_tenant.set(None)
    yield
    current_tenant.reset(token)


@pytest.fixture
def two_shops(owner: App) -> tuple[BusinessContext, BusinessContext]:
    """Two businesses, each with customers, an order and a card; B is in A's coalition."""
    a = ensure_business(owner.uow(), slug="cafe", default_region="VN", default_currency="EUR")
    b = ensure_business(owner.uow(), slug="gym", default_region="FI", default_currency="EUR")
    for ctx, names in ((a, ["An", "Bình"]), (b, ["Aino"])):
        for n in names:
            cid = enroll_customer(owner.uow(), ctx=ctx, name=n).id
            record_order(owner.uow(), ctx=ctx, customer_id=cid, lines=[("coffee", 1, "4.50")])
    loyalty.create_program(owner.uow(), ctx=a, spec=cashback_spec())
    loyalty.add_member(owner.uow(), ctx=a, program="CLUB", business="gym")
    with owner.uow() as uow:
        add_api_key(uow.session, tenant_id=b.tenant_id, name="gym till", role="partner")
    return a, b


def _tenants_per_table(app: App) -> dict[str, set[int]]:
    with app.engine.connect() as c:
        return {
            t: set(c.scalars(text(f'SELECT DISTINCT tenant_id FROM "{t}"')))
            for t in tenant_tables(Base.metadata)
        }


def test_every_tenant_table_is_under_a_policy(owner: App) -> None:
    with owner.engine.connect() as c:
        rows = dict(
            c.execute(
                text("SELECT relname, relrowsecurity FROM pg_class WHERE relkind = 'r'")
            ).all()
        )
    missing = [t for t in [*tenant_tables(Base.metadata), "businesses"] if not rows.get(t)]
    assert missing == []


def test_an_unscoped_query_sees_only_the_acting_business(
    two_shops: tuple[BusinessContext, BusinessContext], owner: App, served: App
) -> None:
    a, b = two_shops
    assert {t for ts in _tenants_per_table(owner).values() for t in ts} == {
        a.tenant_id,
        b.tenant_id,
    }  # the owner sees both: the data is there

    assert all(not ts for ts in _tenants_per_table(served).values())  # no tenant: nothing

    act_for(a.tenant_id)
    seen = _tenants_per_table(served)
    assert {t for ts in seen.values() for t in ts} == {a.tenant_id}
    with served.engine.connect() as c:
        names = set(c.scalars(text("SELECT display_name FROM customers")))
    assert names == {"An", "Bình"}

    act_for(b.tenant_id)  # a coalition member: A's loyalty rows, never A's customers
    seen = _tenants_per_table(served)
    assert seen["customers"] == seen["orders"] == {b.tenant_id}
    assert seen["loyalty_programs"] == {a.tenant_id}


def test_rows_of_another_business_cannot_be_written(
    two_shops: tuple[BusinessContext, BusinessContext], owner: App, served: App
) -> None:
    a, b = two_shops
    act_for(a.tenant_id)
    with pytest.raises(DBAPIError, match="row-level security"), served.engine.begin() as c:
        c.execute(
            text("INSERT INTO departments (tenant_id, name) VALUES (:t, 'Intruders')"),
            {"t": b.tenant_id},
        )
    with served.engine.begin() as c:  # no WHERE at all
        changed = c.execute(text("UPDATE customers SET display_name = 'X'")).rowcount
        gone = c.execute(text("DELETE FROM notes")).rowcount
    assert (changed, gone) == (2, 0)
    with owner.engine.connect() as c:
        kept = set(
            c.scalars(
                text("SELECT display_name FROM customers WHERE tenant_id = :t"), {"t": b.tenant_id}
            )
        )
    assert kept == {"Aino"}


def test_the_audit_log_is_append_only_for_the_application(
    two_shops: tuple[BusinessContext, BusinessContext], served: App
) -> None:
    a, _ = two_shops
    act_for(a.tenant_id)
    with pytest.raises(DBAPIError, match="permission denied"), served.engine.begin() as c:
        c.execute(text("DELETE FROM audit_log"))


def test_a_key_finds_its_business_and_acts_for_it(
    two_shops: tuple[BusinessContext, BusinessContext], owner: App, served: App
) -> None:
    a, _ = two_shops
    with owner.uow() as uow:
        key = add_api_key(uow.session, tenant_id=a.tenant_id, name="cafe till").key
    with served.uow() as uow:
        found = key_of(uow.session, key)
        assert found is not None and found[0].slug == "cafe"
        assert set(uow.session.scalars(text("SELECT DISTINCT tenant_id FROM customers"))) == {
            a.tenant_id
        }
        assert key_of(uow.session, key + "x") is None
    assert current_tenant.get() == a.tenant_id


def test_a_coalition_member_earns_on_the_owners_card(
    two_shops: tuple[BusinessContext, BusinessContext], owner: App, served: App
) -> None:
    a, b = two_shops
    with owner.engine.connect() as c:
        an = c.scalar(text("SELECT id FROM customers WHERE display_name = 'An'"))
    number = loyalty.issue_card(owner.uow(), ctx=a, program="CLUB", customer=an).number
    act_for(b.tenant_id)
    loyalty.quote(served.uow(), ctx=b, card=number, basket=[("shoes", 1, "100")])
    loyalty.accrue(served.uow(), ctx=b, card=number, order="GYM-1", amount="100")
    assert loyalty.card_balance(served.uow(), ctx=b, number=number).available == Decimal("5.00")
    assert loyalty.find_cards(served.uow(), ctx=b, number=number)
    act_for(a.tenant_id)
    assert loyalty.verify_ledger(served.uow(), ctx=a).ok


def test_a_pooled_connection_forgets_the_tenant(
    two_shops: tuple[BusinessContext, BusinessContext], pg_app_url: str
) -> None:
    a, _ = two_shops
    one = make_engine(pg_app_url, pool_size=1, max_overflow=0)
    act_for(a.tenant_id)
    with one.begin() as c:
        assert c.scalar(text("SELECT count(*) FROM customers")) == 2
    act_for(None)
    with one.begin() as c:  # the same connection from the pool
        assert c.scalar(text("SELECT count(*) FROM customers")) == 0
    one.dispose()
