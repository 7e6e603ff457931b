"""`regulars loyalty balance|accrue|paid|cancel|redeem|refund|verify|expire|expiring|settle`.

The ledger at the till and in the nightly jobs; exit codes as in loyalty_base.
"""

from __future__ import annotations

from typing import Annotated

import typer

from regulars.cli.common import DbOption, JsonOption, console
from regulars.cli.loyalty_base import (
    EXIT_REFUSED,
    CardOption,
    CurrencyOption,
    KeyOption,
    OrderOption,
    ProgramOption,
    _run,
    app,
)
from regulars.services import loyalty as svc


@app.command("balance")
def balance(card: CardOption, db: DbOption = None, json: JsonOption = False) -> None:
    """Available and pending value and the tier of a card."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.card_balance(uow, ctx=ctx, number=card),
        "{r.available} {r.unit} available, {r.pending} pending; tier {r.tier}",
    )


HolderCard = Annotated[str | None, typer.Option("--card", help="Card number (or give --customer).")]
CustomerOption = Annotated[
    str | None,
    typer.Option("--customer", help="Instead of --card: the customer's external id."),
]


@app.command("accrue")
def accrue(
    card: HolderCard = None,
    customer: CustomerOption = None,
    *,
    order: OrderOption,
    amount: Annotated[str, typer.Option("--amount", help="Amount paid for the order.")],
    idempotency_key: KeyOption,
    pending: Annotated[bool, typer.Option("--pending", help="Wait for the payment.")] = False,
    currency: CurrencyOption = None,
    program: ProgramOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Credit what an order earns on a card (pending until paid with --pending)."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.accrue(
            uow,
            ctx=ctx,
            card=card,
            customer=customer,
            program=program,
            order=order,
            amount=amount,
            currency=currency,
            pending=pending,
            idempotency_key=idempotency_key,
        ),
        "Earned {r.earned}; available {r.available}, pending {r.pending_balance}.",
    )


@app.command("paid")
def paid(
    order: OrderOption, program: ProgramOption = None, db: DbOption = None, json: JsonOption = False
) -> None:
    """The order is paid: its pending value becomes available."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.mark_paid(uow, ctx=ctx, order=order, program=program),
        "Order {r.order}: {r.made_available} now available.",
    )


@app.command("cancel")
def cancel(
    order: OrderOption, program: ProgramOption = None, db: DbOption = None, json: JsonOption = False
) -> None:
    """The order was cancelled before payment: pending value released, redemptions returned."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.cancel_order(uow, ctx=ctx, order=order, program=program),
        "Order {r.order}: released {r.released}, gave back {r.given_back}.",
    )


@app.command("redeem")
def redeem(
    card: HolderCard = None,
    customer: CustomerOption = None,
    *,
    amount: Annotated[str, typer.Option("--amount", help="Value to spend from the card.")],
    order: OrderOption,
    idempotency_key: KeyOption,
    order_total: Annotated[
        str | None, typer.Option("--order-total", help="Applies the program's redeem cap.")
    ] = None,
    currency: CurrencyOption = None,
    program: ProgramOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Pay part of an order from the card's balance."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.redeem(
            uow,
            ctx=ctx,
            card=card,
            customer=customer,
            program=program,
            amount=amount,
            order=order,
            order_total=order_total,
            currency=currency,
            idempotency_key=idempotency_key,
        ),
        "Redeemed {r.redeemed}; {r.available} left.",
    )


@app.command("refund")
def refund(
    order: OrderOption,
    idempotency_key: KeyOption,
    amount: Annotated[
        str | None, typer.Option("--amount", help="Part of the order refunded (default: all).")
    ] = None,
    currency: CurrencyOption = None,
    program: ProgramOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Refund an order in full or in part: earned value taken back, redeemed value given back."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.refund(
            uow,
            ctx=ctx,
            order=order,
            amount=amount,
            currency=currency,
            program=program,
            idempotency_key=idempotency_key,
        ),
        "Took back {r.reversed} (unrecovered {r.unrecovered}), gave back {r.given_back}.",
    )


@app.command("verify")
def verify(db: DbOption = None, json: JsonOption = False) -> None:
    """Rebuild every balance from postings and check every invariant; exit 1 on any problem."""

    def show(r: svc.LedgerReport) -> None:
        for p in r.problems:
            console.print(f"{p.code}: {p.message}", highlight=False, markup=False)
        state = "ok" if r.ok else f"{len(r.problems)} problem(s)"
        console.print(f"{r.entries} entries, {r.accounts} accounts, {r.lots} lots: {state}")

    report = _run(db, json, lambda uow, ctx: svc.verify_ledger(uow, ctx=ctx), show)
    if not report.ok:
        raise typer.Exit(EXIT_REFUSED)


@app.command("expire")
def expire(db: DbOption = None, json: JsonOption = False) -> None:
    """The daily run: post every lot past its expiry date as expired."""

    def show(r: svc.ExpiryRun) -> None:
        for c in r.cards:
            console.print(f"{c.number}: {c.expired} expired", highlight=False, markup=False)
        console.print(f"{len(r.cards)} card(s) had value expire.")

    _run(db, json, lambda uow, ctx: svc.expire_lots(uow, ctx=ctx), show)


@app.command("expiring")
def expiring(
    days: Annotated[int, typer.Option("--days", help="Look this many days ahead.")] = 30,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Value that expires within the next N days, per card (for warning messages)."""

    def show(rows: list[svc.ExpiringValue]) -> None:
        for v in rows:
            when = v.expires_at.date().isoformat()
            console.print(f"{v.number}  {v.amount}  from {when}", highlight=False, markup=False)

    _run(db, json, lambda uow, ctx: svc.expiring_soon(uow, ctx=ctx, days=days), show)


@app.command("settle")
def settle(
    period: Annotated[str, typer.Option("--period", help="A month, YYYY-MM (UTC).")],
    program: ProgramOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """What each coalition member owes each other for the month, summing to zero."""

    def show(rows: list[svc.Settlement]) -> None:
        for st in rows:
            console.print(f"{st.program} {st.period} ({st.currency})", highlight=False)
            for line in st.lines:
                console.print(f"  {line.debtor} owes {line.creditor} {line.amount}", markup=False)
            if not st.lines:
                console.print("  nothing to settle")

    _run(db, json, lambda uow, ctx: svc.settle(uow, ctx=ctx, period=period, program=program), show)
