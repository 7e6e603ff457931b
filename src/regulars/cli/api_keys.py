"""`regulars api-key create`: a key for a till or a partner, printed once and stored hashed."""

from __future__ import annotations

from typing import Annotated

import typer

from regulars.cli.common import DbOption, JsonOption, console, open_app, print_json
from regulars.store.api_tables import add_api_key

app = typer.Typer(no_args_is_help=True, help="API keys for the HTTP API (one business each).")


@app.command("create")
def create(
    name: Annotated[str, typer.Option(help="What the key is for, e.g. 'till 1'.")] = "api",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a key for the business (REGULARS_BUSINESS); it is shown only this once."""
    name = name.strip()
    if not name or len(name) > 200:
        raise typer.BadParameter("give the key a name of 1 to 200 characters", param_hint="--name")
    with open_app(db) as a:
        ctx = a.business()
        with a.uow() as uow:
            new = add_api_key(uow.session, tenant_id=ctx.tenant_id, name=name)
    if as_json:
        print_json(
            {
                "id": new.id,
                "name": new.name,
                "key": new.key,
                "business": ctx.slug,
                "created_at": new.created_at,
            }
        )
        return
    console.print(f"API key {new.id} ({new.name}) for business {ctx.slug}:", highlight=False)
    console.print(new.key, highlight=False, markup=False, soft_wrap=True)
    console.print("Store it now: it is not shown again. Send it as `Authorization: Bearer <key>`.")
