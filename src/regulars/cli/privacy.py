"""`regulars customers export|erase|erase-inactive`: a customer's data, erasure, retention. Thin.

Registered on the `customers` app when `regulars.cli.app` imports this module.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from regulars.cli.common import DbOption, JsonOption, console, open_app, print_json, print_table
from regulars.cli.common import to_json as render_json
from regulars.cli.customer_extras import Ref, resolve
from regulars.cli.customers import app
from regulars.domain.errors import ValidationError
from regulars.services.privacy import (
    ErasureResult,
    erase_customer,
    erase_inactive,
    export_customer,
    retention_cutoff,
)

say = partial(console.print, highlight=False, emoji=False)


@app.command("export")
def export(
    ref: Ref,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the JSON to this file (readable by you only)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Everything we hold about a customer, as JSON (their copy for a data access request).

    Dossier, merged-in customers, notes, contacts, consent history, orders with lines and
    status history, loyalty cards with balances, tier history, ledger entries, lots and rewards,
    vouchers, referrals, rebates, stored analytics scores, campaigns and who opened the dossier
    when. Money is {"amount": "12.30", "currency": "EUR"}; the export is audited.
    """
    with open_app(db) as a:
        ctx = a.business()
        data = export_customer(a.uow(), ctx, resolve(a, ctx, ref))
    text = render_json(data) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    # Personal data: create the file for the owner only, before anything is written to it.
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    say(f"Exported customer {data['customer']['id']} to {escape(str(out))}")


@app.command("erase")
def erase(
    ref: Ref,
    reason: Annotated[
        str | None,
        typer.Option(help="Why, for the audit log (never the person's name or contacts)."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase a customer's personal data for good; orders and the loyalty ledger stay.

    Names become "Erased customer #ID"; phones, e-mails, addresses, notes, contacts, consent,
    tags, birthday and stored scores are deleted; the external id becomes a random token;
    loyalty cards are blocked. Orders, ledger entries and every total stay exactly as they
    were. Erasing an erased customer again is harmless. Do not put personal data in --reason.

    JSON: {customer_id, already_erased, display_name, erased_at, removed{…}, cards_blocked,
    merged_customers[], kept{orders, cards, ledger_entries}}.
    """
    with open_app(db) as a:
        ctx = a.business()
        cid = resolve(a, ctx, ref)
        if not yes and not typer.confirm(
            f"Erase customer {cid}'s personal data? This cannot be undone", default=False
        ):
            raise typer.Exit(1)
        result = erase_customer(a.uow(), ctx, cid, reason)
    print_json(result) if as_json else _print_erasure(result)


def _print_erasure(r: ErasureResult) -> None:
    if r.already_erased:
        say(f"Customer {r.customer_id} was already erased: nothing left to remove.")
        return
    removed = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in r.removed.items())
    say(f"Erased customer [bold]{r.customer_id}[/] (now {escape(r.display_name)}).")
    say(f"  Removed: {removed or 'nothing'}")
    if r.merged_customers:
        say(f"  Also erased (merged into it): {', '.join(map(str, r.merged_customers))}")
    kept = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in r.kept.items())
    say(f"  Kept: {kept}; {r.cards_blocked} card(s) blocked")


@app.command("erase-inactive")
def erase_inactive_command(
    years: Annotated[
        int | None,
        typer.Option(
            min=1, help="Inactive for this many years (default: REGULARS_RETENTION_YEARS)."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List who would be erased; erase nothing.")
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase customers with no activity (order, ledger entry, note, consent, edit) for N years.

    For a daily cron job. Without --years the retention setting applies; when neither is set
    the command refuses (customers are kept forever by default).

    JSON: {years, cutoff, dry_run, customers: [{customer_id, last_activity, erased}]}.
    """
    with open_app(db) as a:
        n = years if years is not None else a.settings.retention_years
        if n is None:
            raise ValidationError(
                "no retention period: give --years or set REGULARS_RETENTION_YEARS",
                field="years",
            )
        ctx = a.business()
        now = datetime.now(UTC)
        found = erase_inactive(a.uow(), ctx, n, dry_run, now=now)
    cutoff = retention_cutoff(n, now)
    if as_json:
        print_json({"years": n, "cutoff": cutoff, "dry_run": dry_run, "customers": found})
        return
    verb = "Would erase" if dry_run else "Erased"
    say(f"{verb} {len(found)} customer(s) with no activity since {cutoff:%Y-%m-%d}.")
    if found:
        print_table(
            None,
            ["Customer", "Last activity"],
            [(f.customer_id, f"{f.last_activity:%Y-%m-%d}") for f in found],
        )
