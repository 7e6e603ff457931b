"""`regulars loyalty …`: programs, cards, coalitions and the ledger, at the till and in scripts.

Exit codes: 0 done; 1 refused (insufficient_balance, idempotency_conflict, card_blocked, a
failed `verify`…); 2 bad input (malformed or negative amounts, wrong currency, bad period,
unknown card); 4 another thing not found (program, order). With --json a refusal prints
{"error": {"code": …, "message": …}} on stdout.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, NoReturn

import typer

from regulars.cli.common import DbOption, JsonOption, console, err_console, open_app, print_json
from regulars.domain.errors import DomainError, NotFound, ValidationError
from regulars.domain.loyalty.errors import UnknownCard
from regulars.domain.loyalty.program import (
    ProgramKind,
    ProgramSpec,
    RuleSpec,
    TierMetric,
    parse_percent,
    parse_tiers,
)
from regulars.services import loyalty as svc
from regulars.services.context import BusinessContext
from regulars.store.uow import UnitOfWork

EXIT_REFUSED, EXIT_BAD_INPUT, EXIT_NOT_FOUND = 1, 2, 4

app = typer.Typer(no_args_is_help=True, help="Loyalty cards, cashback, points and coalitions.")
program_app = typer.Typer(no_args_is_help=True, help="Create and show loyalty programs.")
card_app = typer.Typer(no_args_is_help=True, help="Issue, find, block and replace cards.")
member_app = typer.Typer(no_args_is_help=True, help="Coalition partners of a program.")
app.add_typer(program_app, name="program")
app.add_typer(card_app, name="card")
app.add_typer(member_app, name="member")

CardOption = Annotated[str, typer.Option("--card", help="Card number (spaces allowed).")]
OrderOption = Annotated[str, typer.Option("--order", help="The order's reference.")]
KeyOption = Annotated[
    str, typer.Option("--idempotency-key", help="Unique per operation: a retry writes nothing.")
]
CurrencyOption = Annotated[
    str | None, typer.Option("--currency", help="Refuse unless the program's currency is this.")
]
ProgramOption = Annotated[
    str | None, typer.Option("--program", help="Program code (when an order is in several).")
]


def exit_code(error: DomainError) -> int:
    """Bad input → 2 (an unknown card is bad input at the till); not found → 4; refused → 1."""
    if isinstance(error, ValidationError | UnknownCard):
        return EXIT_BAD_INPUT
    if isinstance(error, NotFound):
        return EXIT_NOT_FOUND
    return EXIT_REFUSED


def _fail(error: DomainError, as_json: bool) -> NoReturn:
    if as_json:
        print_json({"error": {"code": error.code, "message": error.message}})
    else:
        err_console.print(
            f"error [{error.code}]: {error.message}", markup=False, highlight=False, soft_wrap=True
        )
    raise typer.Exit(exit_code(error))


def _run(
    db: str | None,
    as_json: bool,
    work: Callable[[UnitOfWork, BusinessContext], Any],
    show: Callable[[Any], None] | str,
) -> Any:
    """Run one use case; refusals become an exit code and one line (or a JSON error).

    `show` prints the result for people: a function, or a format string over `r`."""
    try:
        with open_app(db) as a:
            result = work(a.uow(), a.business())
    except DomainError as e:
        _fail(e, as_json)
    if as_json:
        print_json(result)
    elif isinstance(show, str):
        console.print(show.format(r=result), highlight=False, markup=False)
    else:
        show(result)
    return result


def _decimal(text: str, field: str) -> Decimal:
    try:
        return Decimal(text)
    except ArithmeticError:
        raise ValidationError(f"--{field} {text!r} is not a number", field=field) from None


@program_app.command("create")
def program_create(
    code: Annotated[str, typer.Option("--code", help="Short code, e.g. CLUB.")],
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217, e.g. EUR.")],
    cashback: Annotated[str, typer.Option("--cashback", help="Cashback percent.")] = "0",
    kind: Annotated[str, typer.Option("--kind", help="cashback | points.")] = "cashback",
    points_per_unit: Annotated[str, typer.Option(help="Points per currency unit spent.")] = "0",
    point_value: Annotated[str, typer.Option(help="Currency value of one point.")] = "1",
    tiers: Annotated[
        str | None, typer.Option(help="code:threshold:discount,… e.g. basic:0:5,gold:20000:10")
    ] = None,
    tier_metric: Annotated[str, typer.Option(help="spend_12m | spend_lifetime | orders_12m.")] = (
        "spend_12m"
    ),
    expiry_months: Annotated[int, typer.Option(help="Life of earned value; 0 = never.")] = 12,
    max_redeem_percent: Annotated[str, typer.Option(help="Share of an order payable.")] = "100",
    repeat_discount: Annotated[str, typer.Option(help="Percent off the 2nd+ order.")] = "0",
    welcome_bonus: Annotated[str, typer.Option(help="Credited on a new card.")] = "0",
    min_spend: Annotated[str, typer.Option(help="Below it an order earns nothing.")] = "0",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Create a program: `regulars loyalty program create --code C --currency EUR --cashback 5`."""

    def work(uow: UnitOfWork, ctx: BusinessContext) -> Any:
        try:
            program_kind, metric = ProgramKind(kind), TierMetric(tier_metric)
        except ValueError as e:
            raise ValidationError(str(e), field="kind") from None
        rules = RuleSpec(
            cashback_percent=parse_percent(cashback, field="cashback"),
            points_per_unit=_decimal(points_per_unit, "points-per-unit"),
            repeat_order_discount_percent=parse_percent(repeat_discount, field="repeat-discount"),
            welcome_bonus=_decimal(welcome_bonus, "welcome-bonus"),
            min_spend=_decimal(min_spend, "min-spend"),
            max_redeem_percent=parse_percent(max_redeem_percent, field="max-redeem-percent"),
        )
        spec = ProgramSpec(
            code=code,
            currency=currency.strip().upper(),
            kind=program_kind,
            point_value=_decimal(point_value, "point-value"),
            tiers=parse_tiers(tiers) if tiers else (),
            tier_metric=metric,
            expiry_months=expiry_months or None,
            rules=rules,
        )
        return svc.create_program(uow, ctx=ctx, spec=spec)

    _run(db, json, work, "Program {r.code} created ({r.kind}, {r.unit}).")


@program_app.command("show")
def program_show(
    code: Annotated[str, typer.Option("--code")], db: DbOption = None, json: JsonOption = False
) -> None:
    """A program's rules, tiers and coalition members."""

    def show(r: svc.ProgramInfo) -> None:
        for name in r.__dataclass_fields__:
            console.print(f"{name}: {getattr(r, name)}", highlight=False, markup=False)

    _run(db, json, lambda uow, ctx: svc.show_program(uow, ctx=ctx, program=code), show)


@member_app.command("add")
def member_add(
    program: Annotated[str, typer.Option("--program")],
    business: Annotated[str, typer.Option("--business", help="The partner's business slug.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Admit a partner business to a program's coalition (owner only)."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.add_member(uow, ctx=ctx, program=program, business=business),
        "{r.business} is a member of {r.program}.",
    )


@card_app.command("issue")
def card_issue(
    program: Annotated[str, typer.Option("--program")],
    customer: Annotated[
        str | None, typer.Option("--customer", help="Customer id or external id.")
    ] = None,
    bearer: Annotated[bool, typer.Option("--bearer", help="A card for whoever holds it.")] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Issue a personal (`--customer`) or bearer (`--bearer`) card; prints its number."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.issue_card(
            uow, ctx=ctx, program=program, customer=customer, bearer=bearer
        ),
        "{r.number}",
    )


@card_app.command("block")
def card_block(card: CardOption, db: DbOption = None, json: JsonOption = False) -> None:
    """Block a lost card: it can no longer earn or spend."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.block_card(uow, ctx=ctx, number=card),
        "Card {r.number} is {r.status}.",
    )


@card_app.command("replace")
def card_replace(card: CardOption, db: DbOption = None, json: JsonOption = False) -> None:
    """Replace a card: a new number gets the balance, pending value and lots."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.replace_card(uow, ctx=ctx, number=card),
        "Card {r.old} replaced by {r.new}: moved {r.moved_available} (+{r.moved_pending} pending).",
    )


@card_app.command("find")
def card_find(
    card: Annotated[str | None, typer.Option("--card")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="The customer's phone.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Find a card by its number or by its customer's phone."""

    def show(rows: list[svc.CardInfo]) -> None:
        for c in rows:
            console.print(
                f"{c.number}  {c.program}  {c.kind}  {c.status}  tier {c.tier or '-'}",
                highlight=False,
                markup=False,
            )

    _run(db, json, lambda uow, ctx: svc.find_cards(uow, ctx=ctx, number=card, phone=phone), show)


@app.command("balance")
def balance(card: CardOption, db: DbOption = None, json: JsonOption = False) -> None:
    """Available and pending value and the tier of a card."""
    _run(
        db,
        json,
        lambda uow, ctx: svc.card_balance(uow, ctx=ctx, number=card),
        "{r.available} {r.unit} available, {r.pending} pending; tier {r.tier}",
    )


@app.command("accrue")
def accrue(
    card: CardOption,
    order: OrderOption,
    amount: Annotated[str, typer.Option("--amount", help="Amount paid for the order.")],
    idempotency_key: KeyOption,
    pending: Annotated[bool, typer.Option("--pending", help="Wait for the payment.")] = False,
    currency: CurrencyOption = None,
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
    card: CardOption,
    amount: Annotated[str, typer.Option("--amount", help="Value to spend from the card.")],
    order: OrderOption,
    idempotency_key: KeyOption,
    order_total: Annotated[
        str | None, typer.Option("--order-total", help="Applies the program's redeem cap.")
    ] = None,
    currency: CurrencyOption = None,
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
