"""`regulars loyalty voucher|rebate|referral|review-tiers`: offers paid through the ledger.

Registered on the loyalty Typer app; exit codes as the other loyalty commands (0 done, 1 refused
with a code, 2 bad input, 4 not found).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from regulars.cli.common import DbOption, JsonOption, console
from regulars.cli.loyalty import _run, app
from regulars.domain.errors import ValidationError
from regulars.services import loyalty as svc

voucher_app = typer.Typer(no_args_is_help=True, help="Gift and promotion vouchers.")
rebate_app = typer.Typer(no_args_is_help=True, help="Distributor rebates per period.")
referral_app = typer.Typer(no_args_is_help=True, help="Referrals and their bonuses.")
app.add_typer(voucher_app, name="voucher")
app.add_typer(rebate_app, name="rebate")
app.add_typer(referral_app, name="referral")

PeriodOption = Annotated[str, typer.Option("--period", help="YYYY-MM, YYYY-Qn or YYYY.")]
ProgramOpt = Annotated[str | None, typer.Option("--program", help="Program code.")]


def _day(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"--{field} {text!r} is not a date (YYYY-MM-DD)", field=field
        ) from None


def _limit(text: str, field: str) -> int | None:
    if text.strip().lower() in ("", "unlimited", "none"):
        return None
    try:
        return int(text)
    except ValueError:
        raise ValidationError(f"--{field} {text!r} is not a number", field=field) from None


@voucher_app.command("create")
def voucher_create(
    program: Annotated[str, typer.Option("--program")],
    value: Annotated[
        str, typer.Option("--value", help="Money off, or percent for --kind percent.")
    ],
    kind: Annotated[str, typer.Option("--kind", help="amount | percent | gift.")] = "amount",
    count: Annotated[int, typer.Option("--count", help="How many codes.")] = 1,
    valid_from: Annotated[str | None, typer.Option("--valid-from", help="YYYY-MM-DD.")] = None,
    valid_until: Annotated[str | None, typer.Option("--valid-until", help="Last day.")] = None,
    max_uses: Annotated[str, typer.Option("--max-uses", help="1 = single use; unlimited.")] = "1",
    per_customer: Annotated[str, typer.Option("--per-customer", help="Uses per customer.")] = "1",
    min_spend: Annotated[str, typer.Option("--min-spend", help="Smallest order total.")] = "0",
    prefix: Annotated[str, typer.Option("--prefix", help="Code prefix.")] = "",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Create voucher codes; prints one code a line."""

    def show(rows: list[svc.VoucherInfo]) -> None:
        for v in rows:
            console.print(v.code, highlight=False, markup=False)

    _run(
        db,
        json,
        lambda uow, ctx: svc.create_vouchers(
            uow, ctx=ctx, program=program, kind=kind, value=value, count=count,
            valid_from=_day(valid_from, "valid-from"), valid_until=_day(valid_until, "valid-until"),
            max_uses=_limit(max_uses, "max-uses"),
            per_customer_limit=_limit(per_customer, "per-customer"), min_spend=min_spend,
            prefix=prefix,
        ),
        show,
    )  # fmt: skip


@voucher_app.command("redeem")
def voucher_redeem(
    code: Annotated[str, typer.Option("--code")],
    order: Annotated[str, typer.Option("--order")],
    total: Annotated[str, typer.Option("--total", help="The order's total.")],
    card: Annotated[str | None, typer.Option("--card")] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Id or external id.")] = None,
    key: Annotated[str | None, typer.Option("--idempotency-key")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Use a voucher on an order; prints the discount."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.redeem_voucher(
            uow, ctx=ctx, code=code, order=order, order_total=total, card=card,
            customer=customer, idempotency_key=key,
        ),
        "{r.code}: {r.discount} {r.currency} off order {r.order}",
    )  # fmt: skip


@voucher_app.command("show")
def voucher_show(
    code: Annotated[str, typer.Option("--code")], db: DbOption = None, json: JsonOption = False
) -> None:
    """A voucher's terms and how often it was used."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.show_voucher(uow, ctx=ctx, code=code),
        "{r.code} {r.kind} {r.value} ({r.currency}), used {r.uses}/{r.max_uses}",
    )


@rebate_app.command("scheme")
def rebate_scheme(
    program: Annotated[str, typer.Option("--program")],
    distributor: Annotated[str, typer.Option("--distributor", help="Customer id or external id.")],
    kind: Annotated[str, typer.Option("--kind", help="quantitative | fixed.")] = "quantitative",
    brackets: Annotated[str, typer.Option("--brackets", help="e.g. 0:0,10000:2,50000:4")] = "",
    mode: Annotated[str, typer.Option("--mode", help="whole | marginal.")] = "whole",
    per_unit: Annotated[str, typer.Option("--per-unit")] = "0",
    per_order: Annotated[str, typer.Option("--per-order")] = "0",
    period_kind: Annotated[str, typer.Option("--every", help="month | quarter | year.")] = "month",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Define (or replace) a distributor's rebate scheme."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.define_rebate_scheme(
            uow, ctx=ctx, program=program, distributor=distributor, kind=kind,
            brackets=brackets, mode=mode, per_unit=per_unit, per_order=per_order,
            period_kind=period_kind,
        ),
        "{r.distributor}: {r.kind} rebate every {r.period_kind} in {r.program}",
    )  # fmt: skip


def _show_statement(st: svc.RebateStatementInfo) -> None:
    console.print(
        f"{st.distributor} {st.period}: volume {st.volume} {st.currency}, {st.orders} orders, "
        f"rebate {st.rebate} ({st.status})",
        highlight=False,
        markup=False,
    )
    for line in st.lines:
        console.print(f"  {line.amount}  {line.explanation}", highlight=False, markup=False)


@rebate_app.command("run")
def rebate_run(
    period: PeriodOption, program: ProgramOpt = None, db: DbOption = None, json: JsonOption = False
) -> None:
    """Credit every distributor's rebate for a closed period (re-running credits once)."""

    def show(rows: list[svc.RebateStatementInfo]) -> None:
        for st in rows:
            _show_statement(st)
        if not rows:
            console.print("no rebate schemes for this period kind")

    _run(
        db, json, lambda uow, ctx: svc.run_rebates(uow, ctx=ctx, period=period, program=program),
        show,
    )  # fmt: skip


@rebate_app.command("statement")
def rebate_statement(
    distributor: Annotated[str, typer.Option("--distributor")],
    period: PeriodOption,
    program: ProgramOpt = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A distributor's stored statement for a period."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.show_rebate_statement(
            uow, ctx=ctx, distributor=distributor, period=period, program=program
        ),
        _show_statement,
    )


@referral_app.command("add")
def referral_add(
    program: Annotated[str, typer.Option("--program")],
    referrer: Annotated[str, typer.Option("--referrer", help="Who brought them.")],
    referee: Annotated[str, typer.Option("--referee", help="The new customer.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Record a referral; both are rewarded on the referee's first paid order."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.record_referral(
            uow, ctx=ctx, program=program, referrer=referrer, referee=referee
        ),
        "{r.referrer} referred {r.referee} in {r.program}",
    )


@referral_app.command("pay")
def referral_pay(db: DbOption = None, json: JsonOption = False) -> None:
    """Pay the bonuses of referrals whose referee has a paid order (once each)."""

    def show(rows: list[svc.ReferralInfo]) -> None:
        for r in rows:
            console.print(
                f"{r.referrer} +{r.referrer_bonus}, {r.referee} +{r.referee_bonus}",
                highlight=False,
                markup=False,
            )
        console.print(f"{len(rows)} referral(s) rewarded.")

    _run(db, json, lambda uow, ctx: svc.pay_referrals(uow, ctx=ctx), show)


@app.command("review-tiers")
def review_tiers(
    today: Annotated[str | None, typer.Option("--date", help="Review as of (YYYY-MM-DD).")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The daily tier review: downgrade at the review date after the grace period."""

    def show(r: svc.TierReviewRun) -> None:
        for line in r.changes:
            console.print(
                f"{line.card}: {line.from_tier} → {line.to_tier} ({line.reason})",
                highlight=False,
                markup=False,
            )
        console.print(f"{r.reviewed} card(s) reviewed, {len(r.changes)} changed.")

    _run(db, json, lambda uow, ctx: svc.review_tiers(uow, ctx=ctx, today=_day(today, "date")), show)
