"""`/v1/pos/…`: what a till asks at checkout. Each route is one call of a loyalty service.

Every POST needs an `Idempotency-Key`; the writing services store it with the entry, so a retry
gets the first answer (`"replayed": true`) and writes nothing.

The routes are `async` and send the (blocking) service call to the thread pool themselves: a sync
route costs FastAPI a second thread hop per request, to validate the response model.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TypeVar

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from regulars.api.access import require
from regulars.api.auth import Business, regulars_app
from regulars.api.errors import PROBLEM_RESPONSES
from regulars.api.idempotency import IdempotencyKey, idempotency_key
from regulars.api.schemas import (
    AccrualOut,
    AccrueIn,
    BasketLineIn,
    PaidIn,
    PaidOut,
    QuoteIn,
    QuoteOut,
    RedeemIn,
    RedemptionOut,
    RefundIn,
    RefundOut,
)
from regulars.api.writes import WriteGate
from regulars.bootstrap import App
from regulars.domain.access import Permission as P
from regulars.services import loyalty
from regulars.services.loyalty import BasketLine

router = APIRouter(
    prefix="/v1/pos",
    tags=["pos"],
    dependencies=[Depends(require(P.POS))],
    responses=PROBLEM_RESPONSES,
)
AppDep = Depends(regulars_app)
T = TypeVar("T")


def _basket(lines: list[BasketLineIn]) -> list[BasketLine]:
    return [BasketLine(x.sku, x.quantity, x.unit_price, x.category) for x in lines]


async def _call(gate: AbstractContextManager[object], work: Callable[[], T]) -> T:
    """Run a service call in the thread pool, inside the write gate (taken in that thread)."""

    def gated() -> T:
        with gate:
            return work()

    return await run_in_threadpool(gated)


@router.post("/quote", response_model=QuoteOut, dependencies=[Depends(idempotency_key)])
async def quote(body: QuoteIn, business: Business, app: App = AppDep) -> object:
    """Discount, amount to earn and the most redeemable for a basket; writes nothing."""
    return await _call(
        nullcontext(),
        lambda: loyalty.quote(
            app.uow(),
            ctx=business,
            card=body.card,
            customer=body.customer,
            program=body.program,
            basket=_basket(body.lines),
            redeem=body.redeem or "0",
            currency=body.currency,
        ),
    )


@router.post("/accrue", response_model=AccrualOut)
async def accrue(
    body: AccrueIn,
    business: Business,
    key: IdempotencyKey,
    gate: WriteGate,
    app: App = AppDep,
) -> object:
    """Credit what an order earns; `pending` waits for the order's payment."""
    return await _call(
        gate,
        lambda: loyalty.accrue(
            app.uow(),
            ctx=business,
            card=body.card,
            customer=body.customer,
            program=body.program,
            order=body.order,
            amount=body.amount,
            basket=_basket(body.lines) if body.lines else None,
            currency=body.currency,
            pending=body.pending,
            idempotency_key=key,
        ),
    )


@router.post("/paid", response_model=PaidOut)
async def paid(
    body: PaidIn,
    business: Business,
    key: IdempotencyKey,
    gate: WriteGate,
    app: App = AppDep,
) -> object:
    """The order is paid: its pending accrual becomes available."""
    return await _call(
        gate,
        lambda: loyalty.mark_paid(app.uow(), ctx=business, order=body.order, program=body.program),
    )


@router.post("/redeem", response_model=RedemptionOut)
async def redeem(
    body: RedeemIn,
    business: Business,
    key: IdempotencyKey,
    gate: WriteGate,
    app: App = AppDep,
) -> object:
    """Pay part of an order from the card; refused (409) beyond the balance or the cap."""
    return await _call(
        gate,
        lambda: loyalty.redeem(
            app.uow(),
            ctx=business,
            card=body.card,
            customer=body.customer,
            program=body.program,
            order=body.order,
            amount=body.amount,
            order_total=body.order_total,
            currency=body.currency,
            idempotency_key=key,
        ),
    )


@router.post("/refund", response_model=RefundOut)
async def refund(
    body: RefundIn,
    business: Business,
    key: IdempotencyKey,
    gate: WriteGate,
    app: App = AppDep,
) -> object:
    """Refund an order in full or in part: earnings reversed, redemptions given back, pro rata."""
    return await _call(
        gate,
        lambda: loyalty.refund(
            app.uow(),
            ctx=business,
            order=body.order,
            amount=body.amount,
            currency=body.currency,
            program=body.program,
            idempotency_key=key,
        ),
    )
