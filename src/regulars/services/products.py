"""Products: what the business sells, by SKU, with an optional unit cost for margins.

Orders may name a SKU nobody entered yet (a till, an import): `products_for_lines` creates it on
the fly, so recording a sale never fails for want of a catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regulars.domain.errors import Conflict, InvalidMoney, NotFound, ValidationError
from regulars.domain.money import from_minor, normalize_currency, parse_amount, to_minor
from regulars.services.context import BusinessContext
from regulars.store.tables import Product
from regulars.store.uow import UnitOfWork


class _Keep(Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP  # "leave this field as it is" in update_product


@dataclass(frozen=True, slots=True)
class ProductView:
    id: int
    sku: str
    name: str
    category: str | None
    unit_cost: Decimal | None
    cost_currency: str | None


def clean_text(
    value: str | None, *, field: str, max_len: int, required: bool = False
) -> str | None:
    """Trimmed text or None; too long is refused rather than cut, so nothing is lost silently."""
    text = (value or "").strip()
    if not text:
        if required:
            raise ValidationError(f"{field} is required", field=field)
        return None
    if len(text) > max_len:
        raise ValidationError(f"{field} is longer than {max_len} characters", field=field)
    return text


def clean_sku(sku: str) -> str:
    text = clean_text(sku, field="sku", max_len=100, required=True)
    assert text is not None
    return text


def _cost(
    unit_cost: Decimal | int | str, currency: str | None, ctx: BusinessContext
) -> tuple[int, str]:
    cur = normalize_currency(currency or ctx.default_currency)
    amount = parse_amount(str(unit_cost), cur, field="unit_cost")
    if amount < 0:
        raise InvalidMoney("the unit cost cannot be negative", field="unit_cost")
    return to_minor(amount, cur), cur


def _view(p: Product) -> ProductView:
    cost = None
    if p.unit_cost_minor is not None and p.cost_currency:
        cost = from_minor(p.unit_cost_minor, p.cost_currency)
    return ProductView(p.id, p.sku, p.name, p.category, cost, p.cost_currency)


def _by_sku(session: Session, tenant_id: int, sku: str) -> Product | None:
    return session.scalar(select(Product).where(Product.tenant_id == tenant_id, Product.sku == sku))


def add_product(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    sku: str,
    name: str,
    category: str | None = None,
    unit_cost: Decimal | int | str | None = None,
    cost_currency: str | None = None,
) -> ProductView:
    """A new product; a SKU already in use is a conflict (update it instead)."""
    code = clean_sku(sku)
    title = clean_text(name, field="name", max_len=300, required=True)
    assert title is not None
    cost_minor, cur = (
        _cost(unit_cost, cost_currency, ctx) if unit_cost is not None else (None, None)
    )
    with uow:
        s = uow.session
        if _by_sku(s, ctx.tenant_id, code) is not None:
            raise Conflict(f"a product with SKU {code!r} already exists", field="sku")
        p = Product(
            tenant_id=ctx.tenant_id,
            sku=code,
            name=title,
            category=clean_text(category, field="category", max_len=150),
            unit_cost_minor=cost_minor,
            cost_currency=cur,
        )
        s.add(p)
        s.flush()
        return _view(p)


def update_product(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    sku: str,
    name: str | _Keep = KEEP,
    category: str | _Keep | None = KEEP,
    unit_cost: Decimal | int | str | _Keep | None = KEEP,
    cost_currency: str | None = None,
) -> ProductView:
    """Change the given fields only; `None` clears the category or the unit cost."""
    code = clean_sku(sku)
    with uow:
        p = _by_sku(uow.session, ctx.tenant_id, code)
        if p is None:
            raise NotFound(f"no product with SKU {code!r}")
        if not isinstance(name, _Keep):
            title = clean_text(name, field="name", max_len=300, required=True)
            assert title is not None
            p.name = title
        if not isinstance(category, _Keep):
            p.category = clean_text(category, field="category", max_len=150)
        if unit_cost is None:
            p.unit_cost_minor, p.cost_currency = None, None
        elif not isinstance(unit_cost, _Keep):
            p.unit_cost_minor, p.cost_currency = _cost(unit_cost, cost_currency, ctx)
        uow.session.flush()
        return _view(p)


def find_product(uow: UnitOfWork, *, ctx: BusinessContext, sku: str) -> ProductView:
    code = clean_sku(sku)
    with uow:
        p = _by_sku(uow.session, ctx.tenant_id, code)
        if p is None:
            raise NotFound(f"no product with SKU {code!r}")
        return _view(p)


def list_products(
    uow: UnitOfWork, *, ctx: BusinessContext, category: str | None = None
) -> list[ProductView]:
    with uow:
        q = select(Product).where(Product.tenant_id == ctx.tenant_id)
        if category is not None:
            q = q.where(Product.category == category.strip())
        return [_view(p) for p in uow.session.scalars(q.order_by(Product.sku))]


def products_for_lines(
    session: Session, *, tenant_id: int, wanted: Mapping[str, tuple[str | None, str | None]]
) -> dict[str, Product]:
    """Products for these SKUs (sku -> (name, category)), creating the unknown ones.

    Existing products keep their catalogue name and category: a till line does not rename them.
    A concurrent order creating the same SKU is tolerated (savepoint, then read the winner's).
    """
    found = {
        p.sku: p
        for p in session.scalars(
            select(Product).where(Product.tenant_id == tenant_id, Product.sku.in_(list(wanted)))
        )
    }
    for sku, (name, category) in wanted.items():
        if sku in found:
            continue
        product = Product(
            tenant_id=tenant_id,
            sku=sku,
            name=clean_text(name, field="name", max_len=300) or sku,
            category=clean_text(category, field="category", max_len=150),
        )
        try:
            with session.begin_nested():
                session.add(product)
        except IntegrityError:
            winner = _by_sku(session, tenant_id, sku)
            if winner is None:
                raise
            product = winner
        found[sku] = product
    return found
