"""Products on SQLite and PostgreSQL: SKUs are unique per business, costs keep their currency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from regulars.bootstrap import App
from regulars.domain.errors import Conflict, InvalidMoney, NotFound, ValidationError
from regulars.services.context import BusinessContext
from regulars.services.products import add_product, find_product, list_products, update_product


def test_a_product_keeps_its_cost_in_its_currency(app: App, ctx: BusinessContext) -> None:
    made = add_product(
        app.uow(),
        ctx=ctx,
        sku=" CHEESE-1 ",
        name="Comté",
        category="Cheese",
        unit_cost="12.50",
        cost_currency="EUR",
    )
    found = find_product(app.uow(), ctx=ctx, sku="CHEESE-1")
    assert found == made
    assert (found.sku, found.unit_cost, found.cost_currency) == (
        "CHEESE-1",
        Decimal("12.50"),
        "EUR",
    )
    plain = add_product(app.uow(), ctx=ctx, sku="TEA", name="Trà", unit_cost=30000)
    assert (plain.unit_cost, plain.cost_currency) == (Decimal(30000), "VND")


def test_a_sku_is_used_once(app: App, ctx: BusinessContext) -> None:
    add_product(app.uow(), ctx=ctx, sku="TEA", name="Trà")
    with pytest.raises(Conflict):
        add_product(app.uow(), ctx=ctx, sku="TEA", name="Other tea")
    assert find_product(app.uow(), ctx=ctx, sku="TEA").name == "Trà"


def test_update_changes_only_what_is_given(app: App, ctx: BusinessContext) -> None:
    add_product(app.uow(), ctx=ctx, sku="TEA", name="Trà", category="Tea", unit_cost=30000)
    p = update_product(app.uow(), ctx=ctx, sku="TEA", name="Trà sen")
    assert (p.name, p.category, p.unit_cost) == ("Trà sen", "Tea", Decimal(30000))
    p = update_product(app.uow(), ctx=ctx, sku="TEA", category=None, unit_cost=None)
    assert (p.name, p.category, p.unit_cost, p.cost_currency) == ("Trà sen", None, None, None)
    assert find_product(app.uow(), ctx=ctx, sku="TEA") == p
    with pytest.raises(NotFound):
        update_product(app.uow(), ctx=ctx, sku="NOPE", name="x")


def test_bad_products_are_refused(app: App, ctx: BusinessContext) -> None:
    with pytest.raises(InvalidMoney):
        add_product(app.uow(), ctx=ctx, sku="A", name="a", unit_cost="1.5")  # VND has no cents
    with pytest.raises(InvalidMoney):
        add_product(app.uow(), ctx=ctx, sku="A", name="a", unit_cost="-1")
    with pytest.raises(ValidationError):
        add_product(app.uow(), ctx=ctx, sku="  ", name="a")
    with pytest.raises(ValidationError):
        add_product(app.uow(), ctx=ctx, sku="A" * 101, name="a")
    assert list_products(app.uow(), ctx=ctx) == []


def test_products_list_by_sku_and_category(app: App, ctx: BusinessContext) -> None:
    for sku, cat in [("TEA-2", "Tea"), ("CUP", "Ware"), ("TEA-1", "Tea")]:
        add_product(app.uow(), ctx=ctx, sku=sku, name=sku.lower(), category=cat)
    assert [p.sku for p in list_products(app.uow(), ctx=ctx)] == ["CUP", "TEA-1", "TEA-2"]
    assert [p.sku for p in list_products(app.uow(), ctx=ctx, category="Tea")] == ["TEA-1", "TEA-2"]
