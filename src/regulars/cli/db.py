"""`regulars db …`: schema management."""

from __future__ import annotations

from typing import Annotated

import typer

from regulars.cli.common import DbOption, JsonOption, console, open_app, print_json
from regulars.domain.errors import ValidationError
from regulars.store import migrate, rls

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


@app.command("grant-app-role")
def grant_app_role(
    role: Annotated[str, typer.Argument(help="The role the API and web server connect as.")],
    no_login: Annotated[
        bool, typer.Option("--no-login", help="Create it without LOGIN (grant it to others).")
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """PostgreSQL: create (if missing) the application role and grant it the tables; row-level
    security then keeps every request to its own business. Run as the tables' owner, again
    after each `db upgrade`."""
    with open_app(db) as a:
        if a.engine.dialect.name != "postgresql":
            raise ValidationError("row-level security and roles need PostgreSQL", field="db")
        a.ready_schema()
        try:
            with a.engine.begin() as conn:
                rls.grant_app_role(conn, role, login=not no_login)
        except ValueError as e:
            raise ValidationError(str(e), field="role") from None
    if as_json:
        print_json({"role": role, "row_level_security": True})
    else:
        console.print(
            f"Granted {role}: connect the API and web server as it "
            "(REGULARS_DATABASE_URL=postgresql://" + role + "@…); each sees one business's rows."
        )
