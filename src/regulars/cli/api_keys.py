"""`regulars api-key create`: a key for a till or a partner of the default business, printed
once and stored hashed (`regulars admin apikey …` does the same for any business)."""

from __future__ import annotations

from typing import Annotated

import typer

from regulars.cli.common import DbOption, JsonOption, console, open_app, print_json
from regulars.services.api_keys import KEY_ROLES, create_key

app = typer.Typer(no_args_is_help=True, help="API keys for the HTTP API (one business each).")


@app.command("create")
def create(
    name: Annotated[str, typer.Option(help="What the key is for, e.g. 'till 1'.")] = "api",
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(KEY_ROLES)}.")] = "cashier",
    store: Annotated[str | None, typer.Option(help="The shop of the till.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a key for the business (REGULARS_BUSINESS); it is shown only this once."""
    if not name.strip() or len(name.strip()) > 200:
        raise typer.BadParameter("give the key a name of 1 to 200 characters", param_hint="--name")
    with open_app(db) as a:
        ctx = a.business()
        new = create_key(a.uow(), ctx=ctx, name=name, role=role, store=store)
    if as_json:
        print_json(
            {
                "id": new.id,
                "name": new.name,
                "key": new.key,
                "role": new.role,
                "store": new.store,
                "business": ctx.slug,
                "created_at": new.created_at,
            }
        )
        return
    console.print(
        f"API key {new.id} ({new.name}, {new.role}) for business {ctx.slug}:", highlight=False
    )
    console.print(new.key, highlight=False, markup=False, soft_wrap=True)
    console.print("Store it now: it is not shown again. Send it as `Authorization: Bearer <key>`.")
