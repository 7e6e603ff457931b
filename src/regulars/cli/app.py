"""`regulars`: the entry point. Errors become one line on stderr and an exit code (no traceback)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

import regulars.cli.analytics_value  # noqa: F401  (registers its commands on analytics)
import regulars.cli.loyalty_offers as _loyalty_offers  # noqa: F401  (registers loyalty offers)
import regulars.cli.privacy as _privacy  # noqa: F401  (registers customers export / erase)
from regulars import __version__
from regulars.cli import analytics, clv, customers, db, demo, imports, loyalty, orders
from regulars.cli.admin import app as admin_app
from regulars.cli.api_keys import app as api_keys_app
from regulars.cli.campaigns import app as campaigns_app
from regulars.cli.common import err_console
from regulars.cli.serve import serve as serve_command
from regulars.cli.worker import worker as worker_command
from regulars.domain.errors import DomainError, NotFound

# Exit codes are a promise to users' scripts (README, "Exit codes").
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 4

app = typer.Typer(
    name="regulars",
    help="Know, reward, keep and win back your regular customers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(customers.app, name="customers")
app.add_typer(orders.app, name="orders")
app.add_typer(imports.app, name="import")
app.command("demo")(demo.demo)
app.add_typer(loyalty.app, name="loyalty")
app.add_typer(analytics.app, name="analytics")
app.command("briefing")(analytics.briefing)
app.add_typer(clv.app, name="clv")
app.add_typer(api_keys_app, name="api-key")
app.add_typer(campaigns_app, name="campaign")
app.add_typer(admin_app, name="admin")
app.command("serve")(serve_command)
app.command("worker")(worker_command)

_debug = {"on": bool(os.environ.get("REGULARS_DEBUG"))}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"regulars {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    if debug:
        _debug["on"] = True


def main() -> None:
    try:
        app()
    except DomainError as e:
        if _debug["on"]:
            raise
        err_console.print(f"error: {e.message}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(EXIT_NOT_FOUND if isinstance(e, NotFound) else EXIT_ERROR)
    except Exception as e:  # a bug or an outside failure: one line, unless --debug
        if _debug["on"]:
            raise
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        err_console.print(f"error: {msg}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
