"""`/v1/loyalty/…`: programs, coalition members, vouchers and the ledger check over HTTP, the
same services as `regulars loyalty program|member|voucher|verify`.

Programs and vouchers are the owner's business (`loyalty.admin`); a till only checks and uses a
voucher (`pos`). Creating POSTs need an `Idempotency-Key`: a retry gets the first answer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from regulars.api.access import Principal, require
from regulars.api.auth import regulars_app
from regulars.api.bodies import clean_query
from regulars.api.errors import PROBLEM_RESPONSES
from regulars.api.idempotency import IdempotencyKey
from regulars.api.loyalty_schemas import MemberIn, ProgramIn, VoucherIn, VoucherRedeemIn
from regulars.api.replay import request_fingerprint, run_once
from regulars.api.writes import WriteGate
from regulars.bootstrap import App
from regulars.domain.access import Permission as P
from regulars.domain.loyalty.program import (
    ProgramKind,
    ProgramSpec,
    RuleSpec,
    Tier,
    TierMetric,
    parse_percent,
)
from regulars.services import loyalty
from regulars.services.loyalty import (
    LedgerReport,
    MemberInfo,
    ProgramInfo,
    VoucherInfo,
    VoucherRedemption,
)
from regulars.services.loyalty.history import list_programs

router = APIRouter(
    prefix="/v1/loyalty",
    tags=["loyalty"],
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(clean_query)],
)
AppDep = Depends(regulars_app)
Fingerprint = Annotated[str, Depends(request_fingerprint)]
Admin = Annotated[Principal, Depends(require(P.LOYALTY_ADMIN))]
Till = Annotated[Principal, Depends(require(P.POS))]
# OpenAPI links: what a created program or voucher can be used for next.
_PROGRAM_LINKS: dict[int | str, dict[str, Any]] = {
    201: {
        "links": {
            op: {"operationId": op, "parameters": {"code": "$response.body#/code"}}
            for op in ("get_program", "add_member")
        }
    }
}
_VOUCHER_LINKS: dict[int | str, dict[str, Any]] = {
    201: {
        "links": {
            op: {"operationId": op, "parameters": {"code": "$response.body#/0/code"}}
            for op in ("get_voucher", "redeem_voucher")
        }
    }
}


def _spec(body: ProgramIn) -> ProgramSpec:
    """The body as the rules' ProgramSpec (the domain validates it as a whole)."""
    rules = RuleSpec(
        cashback_percent=parse_percent(body.cashback_percent, field="cashback_percent"),
        points_per_unit=Decimal(body.points_per_unit),
        repeat_order_discount_percent=parse_percent(
            body.repeat_order_discount_percent, field="repeat_order_discount_percent"
        ),
        welcome_bonus=Decimal(body.welcome_bonus),
        birthday_bonus=Decimal(body.birthday_bonus),
        referral_bonus_referrer=Decimal(body.referral_bonus_referrer),
        referral_bonus_referee=Decimal(body.referral_bonus_referee),
        category_multipliers={k: Decimal(v) for k, v in body.category_multipliers.items()},
        min_spend=Decimal(body.min_spend),
        max_redeem_percent=parse_percent(body.max_redeem_percent, field="max_redeem_percent"),
        stack_discounts=body.stack_discounts,
        birthday_window_days=body.birthday_window_days,
    )
    tiers = tuple(
        Tier(
            t.code,
            Decimal(t.threshold),
            parse_percent(t.discount_percent, field="tiers"),
            t.name,
            tuple(t.perks),
        )
        for t in body.tiers
    )
    return ProgramSpec(
        code=body.code,
        currency=body.currency.strip().upper(),
        kind=ProgramKind(body.kind),
        point_value=Decimal(body.point_value),
        tiers=tiers,
        tier_metric=TierMetric(body.tier_metric),
        expiry_months=body.expiry_months,
        rules=rules,
    )


@router.get("/programs", response_model=list[ProgramInfo])
def programs(who: Admin, app: App = AppDep) -> object:
    """The programs this business owns or is a coalition member of, with rules and members."""
    return list_programs(app.uow(), ctx=who.ctx)


@router.post("/programs", response_model=ProgramInfo, status_code=201, responses=_PROGRAM_LINKS)
def create_program(
    body: ProgramIn, who: Admin, key: IdempotencyKey, fingerprint: Fingerprint, app: App = AppDep
) -> JSONResponse:
    """Create a program owned by this business, which becomes its first member."""
    spec = _spec(body)
    return run_once(
        app,
        who.ctx,
        key,
        fingerprint,
        lambda: loyalty.create_program(app.uow(), ctx=who.ctx, spec=spec),
        ProgramInfo,
    )


@router.get("/programs/{code}", response_model=ProgramInfo, operation_id="get_program")
def program(code: str, who: Admin, app: App = AppDep) -> object:
    """A program's rules, tiers and members (an owned one, or one this business is a member of)."""
    return loyalty.show_program(app.uow(), ctx=who.ctx, program=code)


@router.post(
    "/programs/{code}/members",
    response_model=MemberInfo,
    status_code=201,
    operation_id="add_member",
)
def add_member(
    code: str,
    body: MemberIn,
    who: Admin,
    key: IdempotencyKey,
    fingerprint: Fingerprint,
    app: App = AppDep,
) -> JSONResponse:
    """Admit a partner business to the coalition (the owner only; 409 not_program_owner else).
    Admitting a member again answers the existing membership."""
    return run_once(
        app,
        who.ctx,
        key,
        fingerprint,
        lambda: loyalty.add_member(app.uow(), ctx=who.ctx, program=code, business=body.business),
        MemberInfo,
    )


@router.post(
    "/vouchers", response_model=list[VoucherInfo], status_code=201, responses=_VOUCHER_LINKS
)
def create_vouchers(
    body: VoucherIn, who: Admin, key: IdempotencyKey, fingerprint: Fingerprint, app: App = AppDep
) -> JSONResponse:
    """`count` new codes with the same terms."""
    return run_once(
        app,
        who.ctx,
        key,
        fingerprint,
        lambda: loyalty.create_vouchers(
            app.uow(),
            ctx=who.ctx,
            program=body.program,
            kind=body.kind,
            value=body.value,
            count=body.count,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
            max_uses=body.max_uses,
            per_customer_limit=body.per_customer_limit,
            min_spend=body.min_spend,
            prefix=body.prefix,
        ),
        list[VoucherInfo],
    )


@router.get("/vouchers/{code}", response_model=VoucherInfo, operation_id="get_voucher")
def voucher(code: str, who: Till, app: App = AppDep) -> object:
    """A voucher's terms and uses, so the till can check a code before applying it."""
    return loyalty.show_voucher(app.uow(), ctx=who.ctx, code=code)


@router.post(
    "/vouchers/{code}/redeem", response_model=VoucherRedemption, operation_id="redeem_voucher"
)
def redeem_voucher(
    code: str,
    body: VoucherRedeemIn,
    who: Till,
    key: IdempotencyKey,
    gate: WriteGate,
    app: App = AppDep,
) -> object:
    """Use a voucher on an order; refusals (expired, used up…) are 409 with the reason's code.
    The key is kept with the ledger entry, so a retry answers `"replayed": true`."""
    with gate:
        return loyalty.redeem_voucher(
            app.uow(),
            ctx=who.ctx,
            code=code,
            order=body.order,
            order_total=body.order_total,
            card=body.card,
            customer=body.customer,
            idempotency_key=key,
        )


@router.get("/verify", response_model=LedgerReport)
def verify(who: Admin, app: App = AppDep) -> object:
    """Rebuild every balance of the owned programs from postings and check every invariant;
    `ok` is false (still 200) when a problem is found."""
    return loyalty.verify_ledger(app.uow(), ctx=who.ctx)
