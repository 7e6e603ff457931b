"""`regulars campaign …`: create a campaign, send it with a random control group, show it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from regulars.cli.common import DbOption, JsonOption, console, open_app, print_json, print_table
from regulars.domain.errors import ValidationError
from regulars.services.campaigns import (
    DEFAULT_CONTROL_SHARE,
    CampaignKind,
    CampaignView,
    active_customer_ids,
    assign_audience,
    create_campaign,
    show_campaign,
)
from regulars.services.customer_queries import resolve_customer

app = typer.Typer(no_args_is_help=True, help="Campaigns with a random control group.")

Code = Annotated[str, typer.Argument(help="The campaign's code.")]


def _date(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)", param_hint=flag) from None


def _print(v: CampaignView) -> None:
    rows = [
        ("code", v.code),
        ("name", v.name),
        ("kind", v.kind),
        ("promotes", v.promotes or "—"),
        ("period", f"{v.starts_on} – {v.ends_on or 'open'}"),
        ("control share", f"{v.control_share * 100:g} %"),
        ("seed", v.seed),
        ("cost per contact", f"{v.cost_per_contact} {v.currency}"),
        ("sent to (treatment)", v.treatment),
        ("held back (control)", v.control),
        ("first sent", v.sent_at.isoformat(timespec="seconds") if v.sent_at else "not yet"),
    ]
    print_table(f"Campaign {v.code}", ["", ""], rows)


@app.command()
def create(
    code: Code,
    name: Annotated[str | None, typer.Option("--name", help="A readable name.")] = None,
    kind: Annotated[CampaignKind, typer.Option("--kind")] = CampaignKind.OTHER,
    promotes: Annotated[
        str | None, typer.Option("--promotes", help="Loyalty rule or program it promotes.")
    ] = None,
    starts_on: Annotated[str | None, typer.Option("--starts-on", help="YYYY-MM-DD.")] = None,
    ends_on: Annotated[str | None, typer.Option("--ends-on", help="YYYY-MM-DD.")] = None,
    control_share: Annotated[
        str, typer.Option("--control-share", help="Share held back, e.g. 0.1.")
    ] = str(DEFAULT_CONTROL_SHARE),
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the random split.")] = None,
    cost_per_contact: Annotated[
        str, typer.Option("--cost-per-contact", help="What one message costs.")
    ] = "0",
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Create a campaign (nothing is sent yet)."""
    with open_app(db) as a:
        ctx = a.business()
        v = create_campaign(
            a.uow(),
            ctx=ctx,
            code=code,
            name=name,
            kind=kind,
            promotes=promotes,
            starts_on=_date(starts_on, "--starts-on"),
            ends_on=_date(ends_on, "--ends-on"),
            control_share=control_share,
            seed=seed,
            cost_per_contact=cost_per_contact,
        )
    if json:
        print_json(v)
    else:
        _print(v)


def _refs(customers: list[str], file: Path | None) -> list[str]:
    refs = list(customers)
    if file is not None:
        refs += [line.strip() for line in file.read_text(encoding="utf-8").splitlines()]
    return [r for r in refs if r and not r.startswith("#")]


@app.command()
def assign(
    code: Code,
    customers: Annotated[
        list[str] | None, typer.Argument(help="Customers (id, external id or ext:ID).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A file with one customer per line.")
    ] = None,
    everyone: Annotated[
        bool, typer.Option("--all", help="Every active customer of the business.")
    ] = False,
    control_share: Annotated[
        str | None, typer.Option("--control-share", help="Default: the campaign's.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Default: the campaign's.")] = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Send the campaign: hold back a random control group and record who got it, and when."""
    refs = _refs(customers or [], file)
    if not refs and not everyone:
        raise ValidationError("name customers, give --file, or use --all", field="customers")
    with open_app(db) as a:
        ctx = a.business()
        ids = active_customer_ids(a.uow(), ctx=ctx) if everyone else []
        ids += [resolve_customer(a.uow(), ctx=ctx, ref=r) for r in refs]
        r = assign_audience(
            a.uow(),
            ctx=ctx,
            campaign=code,
            customer_ids=ids,
            control_share=control_share,
            seed=seed,
        )
    if json:
        print_json(
            {
                "campaign": r.campaign,
                "treatment": r.treatment,
                "control": r.control,
                "already_assigned": r.already_assigned,
                "control_share": r.control_share,
                "seed": r.seed,
                "sent_at": r.sent_at,
            }
        )
    else:
        console.print(
            f"{r.campaign}: sent to {r.treatment}, held back {r.control} as control"
            f" (seed {r.seed}); {r.already_assigned} were already in the campaign",
            highlight=False,
        )


@app.command()
def show(code: Code, json: JsonOption = False, db: DbOption = None) -> None:
    """A campaign with the size of its two groups."""
    with open_app(db) as a:
        v = show_campaign(a.uow(), ctx=a.business(), code=code)
    if json:
        print_json(v)
    else:
        _print(v)
