"""`/v1/orders…` and `/v1/products`: purchases and their lifecycle over HTTP, the same services
as `regulars orders`. Every status change is kept with its time, note and location."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from regulars.api.access import Principal, require
from regulars.api.auth import regulars_app
from regulars.api.bodies import clean_query
from regulars.api.errors import PROBLEM_RESPONSES
from regulars.api.idempotency import IdempotencyKey
from regulars.api.order_schemas import OrderIn, OrderPage, ProductIn, StatusIn
from regulars.api.paging import before_time, time_cursor
from regulars.api.replay import request_fingerprint, run_once
from regulars.bootstrap import App
from regulars.domain.access import Permission as P
from regulars.services.order_queries import OrderDetails, list_orders, show_order
from regulars.services.orders import change_order_status, record_order
from regulars.services.products import ProductView, add_product, list_products

router = APIRouter(
    tags=["orders"], responses=PROBLEM_RESPONSES, dependencies=[Depends(clean_query)]
)
AppDep = Depends(regulars_app)
Fingerprint = Annotated[str, Depends(request_fingerprint)]


@router.post("/v1/orders", response_model=OrderDetails, status_code=201)
def create_order(
    body: OrderIn,
    who: Annotated[Principal, Depends(require(P.ORDERS_WRITE))],
    key: IdempotencyKey,
    fingerprint: Fingerprint,
    app: App = AppDep,
) -> JSONResponse:
    """Record a purchase; unknown SKUs become products. The first order sets the first-deal date."""
    lines = [(x.sku, x.quantity, x.unit_price, x.name, x.category) for x in body.lines]

    def work() -> OrderDetails:
        return record_order(
            app.uow(),
            ctx=who.ctx,
            customer_id=body.customer,
            lines=lines,
            currency=body.currency,
            placed_at=body.placed_at,
            status=body.status,
            store=body.store,
            channel=body.channel,
            external_id=body.external_id,
        )

    return run_once(app, who.ctx, key, fingerprint, work, OrderDetails)


@router.get("/v1/orders", response_model=OrderPage)
def orders(
    who: Annotated[Principal, Depends(require(P.ORDERS_READ))],
    customer: str | None = Query(default=None, description="id, or ext:external id"),
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
    app: App = AppDep,
) -> object:
    """Newest first, a page at a time."""
    rows = list_orders(
        app.uow(),
        ctx=who.ctx,
        customer=customer,
        status=status,
        limit=limit + 1,
        before=before_time(cursor),
    )
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    nxt = time_cursor(last.placed_at, last.id) if more and last else None
    return OrderPage(items=rows, next_cursor=nxt)


@router.get("/v1/orders/{order}", response_model=OrderDetails)
def order(
    order: str,
    who: Annotated[Principal, Depends(require(P.ORDERS_READ))],
    app: App = AppDep,
) -> object:
    """An order by id or external id, with its lines and its whole status history."""
    return show_order(app.uow(), ctx=who.ctx, order_id=order)


@router.post("/v1/orders/{order}/status", response_model=OrderDetails)
def status(
    order: str,
    body: StatusIn,
    who: Annotated[Principal, Depends(require(P.ORDERS_WRITE))],
    key: IdempotencyKey,
    fingerprint: Fingerprint,
    app: App = AppDep,
) -> JSONResponse:
    """Move the order to its next stage; an impossible move is a 409 naming the possible ones."""

    def work() -> OrderDetails:
        return change_order_status(
            app.uow(),
            ctx=who.ctx,
            order_id=order,
            status=body.status,
            note=body.note,
            location=body.location,
            at=body.at,
        )

    return run_once(app, who.ctx, key, fingerprint, work, OrderDetails, status=200)


@router.get("/v1/products", response_model=list[ProductView], tags=["products"])
def products(
    who: Annotated[Principal, Depends(require(P.ORDERS_READ))],
    category: str | None = None,
    app: App = AppDep,
) -> object:
    return list_products(app.uow(), ctx=who.ctx, category=category)


@router.post("/v1/products", response_model=ProductView, status_code=201, tags=["products"])
def create_product(
    body: ProductIn,
    who: Annotated[Principal, Depends(require(P.ORDERS_WRITE))],
    key: IdempotencyKey,
    fingerprint: Fingerprint,
    app: App = AppDep,
) -> JSONResponse:
    """A product with its SKU; the unit cost (optional) makes margins exact in analytics."""

    def work() -> ProductView:
        return add_product(app.uow(), ctx=who.ctx, **body.model_dump())

    return run_once(app, who.ctx, key, fingerprint, work, ProductView)
