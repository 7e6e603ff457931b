"""`/v1/cards/{number}`: what a card holds (available, pending, tier)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from regulars.api.access import require
from regulars.api.auth import Business, regulars_app
from regulars.api.errors import PROBLEM_RESPONSES
from regulars.api.schemas import CardOut
from regulars.bootstrap import App
from regulars.domain.access import Permission as P
from regulars.services import loyalty

router = APIRouter(
    prefix="/v1/cards",
    tags=["cards"],
    dependencies=[Depends(require(P.CARD_LOOKUP))],
    responses=PROBLEM_RESPONSES,
)


@router.get("/{number}", response_model=CardOut)
async def card(number: str, business: Business, app: App = Depends(regulars_app)) -> object:
    """Balance, pending and tier; a coalition partner sees the balance and nothing else."""
    return await run_in_threadpool(
        lambda: loyalty.card_balance(app.uow(), ctx=business, number=number)
    )
