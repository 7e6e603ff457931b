"""Shared parts of `regulars loyalty …`: the Typer apps, options and how refusals exit.

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

from regulars.cli.common import console, err_console, open_app, print_json
from regulars.domain.errors import DomainError, NotFound, ValidationError
from regulars.domain.loyalty.errors import UnknownCard
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
