"""`regulars loyalty …`: programs, cards and coalitions (the ledger commands: loyalty_ledger).

Exit codes: 0 done; 1 refused; 2 bad input; 4 not found (see loyalty_base).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from regulars.cli import loyalty_ledger  # noqa: F401  (registers the ledger commands)
from regulars.cli.common import DbOption, JsonOption, console
from regulars.cli.loyalty_base import (
    EXIT_BAD_INPUT,
    EXIT_NOT_FOUND,
    EXIT_REFUSED,
    CardOption,
    _decimal,
    _fail,
    _run,
    app,
    card_app,
    exit_code,
    member_app,
    program_app,
)
from regulars.domain.errors import ValidationError
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

__all__ = ["EXIT_BAD_INPUT", "EXIT_NOT_FOUND", "EXIT_REFUSED", "_fail", "_run", "app", "exit_code"]


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
        lambda uow, ctx: svc.add_member(
            uow, ctx=ctx, program=program, business=business, create_missing=True
        ),
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
