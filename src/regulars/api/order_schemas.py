"""Request bodies of the order and product resources (amounts as decimal strings)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from regulars.api.bodies import Body
from regulars.api.schemas import AmountText, QuantityText
from regulars.services.order_queries import OrderSummary

Short = Annotated[str, Field(max_length=100)]


class OrderLineIn(Body):
    sku: Annotated[str, Field(min_length=1, max_length=64)]
    quantity: QuantityText
    unit_price: AmountText
    name: Annotated[str, Field(max_length=300)] | None = None
    category: Short | None = None


class OrderIn(Body):
    customer: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="customer id, or external id as ext:…"
    )
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=500)]
    currency: Annotated[str, Field(min_length=3, max_length=3)] | None = None
    placed_at: datetime | None = Field(default=None, description="with a time zone")
    status: Short = "placed"
    store: Short | None = None
    channel: Short | None = None
    external_id: Short | None = None


class StatusIn(Body):
    status: Short
    note: Annotated[str, Field(max_length=2000)] | None = None
    location: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="where the goods are, e.g. 'Da Nang hub'"
    )
    at: datetime | None = None


class ProductIn(Body):
    sku: Annotated[str, Field(min_length=1, max_length=64)]
    name: Annotated[str, Field(min_length=1, max_length=300)]
    category: Short | None = None
    unit_cost: AmountText | None = None
    cost_currency: Annotated[str, Field(min_length=3, max_length=3)] | None = None


class OrderPage(Body):
    items: list[OrderSummary]
    next_cursor: str | None
