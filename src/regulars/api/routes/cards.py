"""`/v1/cards…`: find a card (by number or the holder's phone), issue, block and replace cards,
and read a card's ledger entries and soon-expiring value.

What a caller sees follows its role: a cashier sees the holder's name, balance and tier; a
coalition partner sees the balance and tier only; the customer id only those who may open
dossiers. Issuing is normal at the till (`pos`); blocking and replacing are `loyalty.admin`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from regulars.api.access import Principal, require
from regulars.api.auth import regulars_app
from regulars.api.bodies import clean_query
from regulars.api.errors import PROBLEM_RESPONSES
from regulars.api.idempotency import IdempotencyKey
from regulars.api.loyalty_schemas import CardHistoryPage, CardIn
from regulars.api.paging import after_id, id_cursor
from regulars.api.replay import request_fingerprint, run_once
from regulars.api.writes import WriteGate
from regulars.bootstrap import App
from regulars.domain.access import Permission as P
from regulars.domain.customers import StaffRole
from regulars.services import loyalty
from regulars.services.loyalty import CardInfo, ReplacementResult
from regulars.services.loyalty.history import (
    MAX_DAYS,
    CardSummary,
    ExpiringLot,
    card_expiring,
    card_history,
    card_summary,
    cards_by_phone,
)

router = APIRouter(
    prefix="/v1/cards",
    tags=["cards"],
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(clean_query)],
)
AppDep = Depends(regulars_app)
Fingerprint = Annotated[str, Depends(request_fingerprint)]
Lookup = Annotated[Principal, Depends(require(P.CARD_LOOKUP))]
Admin = Annotated[Principal, Depends(require(P.LOYALTY_ADMIN))]


def _links(field: str) -> dict[str, object]:
    """OpenAPI links from an answer naming a card to what can be done with it next (clients
    and schemathesis' stateful tests follow them)."""
    ops = ("get_card", "card_history", "card_expiring", "block_card", "replace_card")
    return {
        "links": {
            op: {"operationId": op, "parameters": {"number": f"$response.body#/{field}"}}
            for op in ops
        }
    }


def _sight(who: Principal) -> dict[str, bool]:
    """Names for those who may open dossiers and for cashiers (the till greets the customer);
    customer ids only for the former. Partners and analysts see neither (issue 6, roles)."""
    dossiers = who.may(P.CUSTOMERS_READ)
    return {"names": dossiers or who.role == StaffRole.CASHIER, "ids": dossiers}


@router.get("", response_model=list[CardSummary])
def find_by_phone(
    who: Lookup,
    phone: Annotated[str, Query(min_length=1, max_length=50, description="typed any way")],
    app: App = AppDep,
) -> object:
    """The cards of this business's customers with this phone (none: an empty list)."""
    return cards_by_phone(app.uow(), ctx=who.ctx, phone=phone, **_sight(who))


@router.post("", response_model=CardInfo, status_code=201, responses={201: _links("number")})
def issue(
    body: CardIn,
    who: Annotated[Principal, Depends(require(P.POS))],
    key: IdempotencyKey,
    fingerprint: Fingerprint,
    gate: WriteGate,
    app: App = AppDep,
) -> JSONResponse:
    """Issue a personal card (`customer`) or a bearer card (`"bearer": true`); the program's
    welcome bonus, if any, is credited at once."""

    def work() -> CardInfo:
        with gate:
            card = loyalty.issue_card(
                app.uow(), ctx=who.ctx, program=body.program, customer=body.customer,
                bearer=body.bearer,
            )  # fmt: skip
        return card if who.may(P.CUSTOMERS_READ) else replace(card, customer_id=None)

    return run_once(app, who.ctx, key, fingerprint, work, CardInfo)


@router.get("/{number}", response_model=CardSummary, operation_id="get_card")
async def card(number: str, who: Lookup, app: App = AppDep) -> object:
    """Balance, pending and tier (and the holder's name, as the role allows)."""
    sight = _sight(who)
    return await run_in_threadpool(
        lambda: card_summary(app.uow(), ctx=who.ctx, number=number, **sight)
    )


@router.get("/{number}/history", response_model=CardHistoryPage, operation_id="card_history")
def history(
    number: str,
    who: Lookup,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
    app: App = AppDep,
) -> object:
    """The card's ledger entries, newest first, a page at a time (cursor pagination)."""
    rows = card_history(
        app.uow(), ctx=who.ctx, number=number, limit=limit + 1, before_id=after_id(cursor)
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return CardHistoryPage(items=rows, next_cursor=id_cursor(rows[-1].id) if more else None)


@router.get("/{number}/expiring", response_model=list[ExpiringLot], operation_id="card_expiring")
def expiring(
    number: str,
    who: Lookup,
    days: Annotated[int, Query(ge=0, le=MAX_DAYS)] = 30,
    app: App = AppDep,
) -> object:
    """Earned value of the card that expires within `days`, soonest first."""
    return card_expiring(app.uow(), ctx=who.ctx, number=number, days=days)


@router.post("/{number}/block", response_model=CardInfo, operation_id="block_card")
def block(number: str, who: Admin, gate: WriteGate, app: App = AppDep) -> object:
    """A lost card stops earning and spending at once; its balance waits for a replacement.
    Blocking again changes nothing, so no Idempotency-Key is needed."""
    with gate:
        return loyalty.block_card(app.uow(), ctx=who.ctx, number=number)


@router.post(
    "/{number}/replace",
    response_model=ReplacementResult,
    operation_id="replace_card",
    responses={200: _links("new")},
)
def replace_card(
    number: str,
    who: Admin,
    key: IdempotencyKey,
    fingerprint: Fingerprint,
    gate: WriteGate,
    app: App = AppDep,
) -> JSONResponse:
    """A new number gets the balance, pending value and lots; the old card is `replaced`."""

    def work() -> ReplacementResult:
        with gate:
            return loyalty.replace_card(app.uow(), ctx=who.ctx, number=number)

    return run_once(app, who.ctx, key, fingerprint, work, ReplacementResult, status=200)
