"""`regulars db …`: schema management."""

from __future__ import annotations

import typer

from regulars.cli.common import DbOption, JsonOption, console, open_app, print_json
from regulars.store import migrate

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Create the schema or bring it up to the newest version (safe to run again)."""
    with open_app(db) as a:
        before = migrate.current_revision(a.engine)
        a.upgrade_schema()
        after = migrate.current_revision(a.engine)
    if as_json:
        print_json({"from": before, "to": after})
    elif before == after:
        console.print(f"The schema is up to date (revision {after}).")
    else:
        console.print(f"Upgraded the schema from {before or 'nothing'} to {after}.")
