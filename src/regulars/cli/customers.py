"""`regulars customers …`: add, find, show, list, merge the customer base. Thin over services.

A customer is named on the command line by its id (`42`) or its external id from another
system (`C-1001`, or `ext:1001` when that external id is all digits).
"""

from __future__ import annotations

from dataclasses import asdict
from functools import partial
from typing import Annotated, Any

import typer
from rich.markup import escape

from regulars.cli.common import DbOption, JsonOption, console, open_app, print_json, print_table
from regulars.cli.customer_extras import (
    Addresses,
    Emails,
    Interests,
    Phones,
    Ref,
    Tags,
    consent_app,
    contact_app,
    parse_address,
    parse_date,
    resolve,
    staff_app,
)
from regulars.cli.customer_extras import export_all as export_all_command
from regulars.cli.customer_extras import note as note_command
from regulars.cli.customer_extras import update as update_command
from regulars.services.customer_queries import list_customers, search_customers, show_customer
from regulars.services.customer_views import Dossier
from regulars.services.customers import enroll_customer
from regulars.services.duplicates import find_duplicates, merge_customers

app = typer.Typer(
    no_args_is_help=True,
    help="The customer base: people and companies, their contacts, consent and duplicates.",
)
app.add_typer(contact_app, name="contact")
app.add_typer(consent_app, name="consent")
app.add_typer(staff_app, name="staff")
app.command("update")(update_command)
app.command("note")(note_command)
app.command("export-all")(export_all_command)

say = partial(console.print, highlight=False, emoji=False)


@app.command("add")
def add(
    name: Annotated[
        str | None, typer.Argument(help="Full name, split into parts by --language.")
    ] = None,
    company: Annotated[bool, typer.Option("--company", help="A company, not a person.")] = False,
    family: Annotated[str | None, typer.Option(help="Family name (surname).")] = None,
    given: Annotated[str | None, typer.Option(help="Given (first) name.")] = None,
    middle: Annotated[str | None, typer.Option(help="Middle name.")] = None,
    patronymic: Annotated[str | None, typer.Option(help="Patronymic, where used.")] = None,
    legal_name: Annotated[str | None, typer.Option(help="Company's registered name.")] = None,
    external_id: Annotated[str | None, typer.Option(help="Id in another system.")] = None,
    phone: Phones = None,
    email: Emails = None,
    address: Addresses = None,
    language: Annotated[str | None, typer.Option(help="BCP 47 tag: en, vi, th, es, fi…")] = None,
    birthday: Annotated[str | None, typer.Option(help="YYYY-MM-DD (people).")] = None,
    founded_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (companies).")] = None,
    first_deal_on: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD; default: the first order's date.")
    ] = None,
    manager: Annotated[str | None, typer.Option(help="Responsible manager's e-mail.")] = None,
    department: Annotated[str | None, typer.Option(help="Department / sales unit.")] = None,
    tag: Tags = None,
    interest: Interests = None,
    potential: Annotated[str | None, typer.Option(help="high, current or former.")] = None,
    region: Annotated[str | None, typer.Option(help="Region or area, free text.")] = None,
    income_band: Annotated[str | None, typer.Option(help="Income band, free text.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a person (or a company with --company) to the customer base.

    Example: regulars customers add "Nguyễn Văn An" --language vi --phone "0912 345 678"
    """
    with open_app(db) as a:
        ctx = a.business()
        d = enroll_customer(
            a.uow(),
            ctx=ctx,
            kind="company" if company else "person",
            name=name,
            family_name=family,
            given_name=given,
            middle_name=middle,
            patronymic=patronymic,
            legal_name=legal_name,
            external_id=external_id,
            phones=phone or (),
            emails=email or (),
            addresses=[parse_address(x) for x in address or ()],
            language=language,
            birthday=parse_date(birthday, "birthday"),
            founded_on=parse_date(founded_on, "founded_on"),
            first_deal_on=parse_date(first_deal_on, "first_deal_on"),
            manager_email=manager,
            department=department,
            tags=tag or (),
            interests=interest or (),
            potential=potential,
            region=region,
            income_band=income_band,
        )
    if as_json:
        print_json(d)
    else:
        say(f"Added customer [bold]{d.id}[/]: {escape(d.display_name)}")


def _print_dossier(d: Dossier) -> None:
    if d.status == "merged":
        say(
            f"Customer {d.id} ({escape(d.display_name)}) was merged into customer "
            f"[bold]{d.merged_into_id}[/]: see `regulars customers show {d.merged_into_id}`."
        )
        return
    ext = f"  (external id {escape(d.external_id)})" if d.external_id else ""
    say(f"[bold]{escape(d.display_name)}[/] — {d.kind} {d.id}{ext}")
    facts = {
        "Legal name": d.legal_name,
        "Language": d.language,
        "Birthday": f"{d.birthday} ({d.age_band})" if d.birthday else None,
        "Founded": d.founded_on,
        "First deal": f"{d.first_deal_on}{' (set by hand)' if d.first_deal_overridden else ''}"
        if d.first_deal_on
        else None,
        "Manager": f"{d.manager_name} <{d.manager}>" if d.manager else None,
        "Department": d.department,
        "Potential": d.potential,
        "Region": d.region,
        "Income band": d.income_band,
        "Phones": ", ".join(p.e164 for p in d.phones),
        "E-mails": ", ".join(e.address for e in d.emails),
        "Tags": ", ".join(d.tags),
        "Interests": ", ".join(d.interests),
        "Orders": f"{d.order_count} (last {d.last_order_at:%Y-%m-%d})" if d.last_order_at else "0",
    }
    for label, value in facts.items():
        if value:
            say(f"  {label + ':':<13} {escape(str(value))}")
    for addr in d.addresses:
        where = ", ".join(x for x in (addr.line1, addr.line2, addr.city, addr.country) if x)
        say(f"  {(addr.label or 'Address') + ':':<13} {escape(where)}")
    if d.contacts:
        print_table(
            "Contacts",
            ["Id", "Name", "Level", "Title", "Buying role", "Stance", "Phones", "E-mails"],
            [
                (
                    k.id,
                    k.display_name,
                    k.level,
                    k.job_title,
                    k.buying_role,
                    k.stance,
                    ", ".join(k.phones),
                    ", ".join(k.emails),
                )
                for k in d.contacts
            ],
        )
    if d.consents:
        print_table(
            "Consent in force",
            ["Channel", "Purpose", "Allowed", "Source", "Since", "Contact"],
            [
                (
                    c.channel,
                    c.purpose,
                    "yes" if c.granted else "no",
                    c.source,
                    f"{c.recorded_at:%Y-%m-%d}",
                    c.contact_id,
                )
                for c in d.consents
            ],
        )
    if d.notes:
        print_table(
            "Notes",
            ["When", "Author", "Kind", "Note"],
            [(f"{n.created_at:%Y-%m-%d %H:%M}", n.author, n.kind, n.body) for n in d.notes],
        )
    for m in d.merges:
        if m.survivor_id == d.id:
            say(f"  Merged in customer {m.merged_id} on {m.merged_at:%Y-%m-%d} ({m.reason or ''})")


@app.command("show")
def show(ref: Ref, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show a customer's whole dossier: names, phones, contacts, consent, notes, orders.

    A merged customer shows where it went (its merged_into_id).

    JSON: the dossier — id, external_id, kind, status, merged_into_id, name parts, language,
    birthday, age_band, founded_on, first_deal_on, manager, department, potential, region,
    tags, interests, phones[], emails[], addresses[], contacts[], consents[] (in force),
    notes[], merges[], order_count, first_order_at, last_order_at.
    """
    with open_app(db) as a:
        ctx = a.business()
        d = show_customer(a.uow(), ctx=ctx, customer_id=resolve(a, ctx, ref))
    print_json(d) if as_json else _print_dossier(d)


@app.command("list")
def list_(
    kind: Annotated[str | None, typer.Option(help="person or company.")] = None,
    manager: Annotated[str | None, typer.Option(help="Manager's e-mail.")] = None,
    department: Annotated[str | None, typer.Option(help="Department name.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only customers with this tag.")] = None,
    language: Annotated[str | None, typer.Option(help="Language, e.g. vi (matches vi-VN).")] = None,
    potential: Annotated[str | None, typer.Option(help="high, current or former.")] = None,
    region: Annotated[str | None, typer.Option(help="Region, case-insensitive.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many (paging).")] = 0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List active customers matching every filter given, oldest first.

    JSON: a list of {id, external_id, kind, display_name, phone, email, language, manager,
    department, potential, region} (phone and e-mail are the primary ones).
    """
    with open_app(db) as a:
        ctx = a.business()
        rows = list_customers(
            a.uow(),
            ctx=ctx,
            kind=kind,
            manager_email=manager,
            department=department,
            tag=tag,
            language=language,
            potential=potential,
            region=region,
            limit=limit,
            offset=offset,
        )
    if as_json:
        print_json(rows)
        return
    print_table(
        f"Customers {offset + 1}–{offset + len(rows)}" if rows else "No customers match",
        ["Id", "Name", "Kind", "Phone", "E-mail", "Lang", "Manager", "External id"],
        [
            (r.id, r.display_name, r.kind, r.phone, r.email, r.language, r.manager, r.external_id)
            for r in rows
        ],
    )


@app.command("search")
def search(
    query: Annotated[
        str, typer.Argument(metavar="TEXT", help="Name fragment, phone (any format), e-mail, id.")
    ],
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 20,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find customers by name (accents and word order ignored), phone, e-mail or external id.

    JSON: a list of customers, each with "matched": external_id, phone, email or name.
    """
    with open_app(db) as a:
        ctx = a.business()
        hits = search_customers(a.uow(), ctx=ctx, query=query, limit=limit)
    if as_json:
        print_json([{**asdict(h.customer), "matched": h.matched} for h in hits])
        return
    print_table(
        f"{len(hits)} found for {query!r}",
        ["Id", "Name", "Kind", "Phone", "E-mail", "Matched on"],
        [
            (
                h.customer.id,
                h.customer.display_name,
                h.customer.kind,
                h.customer.phone,
                h.customer.email,
                h.matched,
            )
            for h in hits
        ],
    )


@app.command("duplicates")
def duplicates(
    limit: Annotated[int, typer.Option(min=1, help="At most this many pairs.")] = 50,
    min_score: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Only pairs scoring at least this (0–1).")
    ] = 0.0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Likely duplicates: same phone, same e-mail, or (very) similar name, most likely first.

    JSON: a list of {"a": {id, display_name, external_id}, "b": {…}, "score": 0–1,
    "reasons": [{"kind": same_phone|same_email|same_name|similar_name, "detail", "weight"}]}.
    """
    with open_app(db) as a:
        ctx = a.business()
        pairs = find_duplicates(a.uow(), ctx=ctx, limit=limit, min_score=min_score)
    if as_json:
        print_json(pairs)
        return
    print_table(
        f"{len(pairs)} likely duplicate pairs" if pairs else "No likely duplicates",
        ["Score", "Customer", "Customer", "Why"],
        [
            (
                f"{p.score:.2f}",
                f"{p.a.id} {p.a.display_name}",
                f"{p.b.id} {p.b.display_name}",
                "; ".join(f"{r.kind.value.replace('_', ' ')}: {r.detail}" for r in p.reasons),
            )
            for p in pairs
        ],
    )
    if pairs:
        say("Merge a pair with: regulars customers merge SURVIVOR_ID MERGED_ID --yes")


@app.command("merge")
def merge(
    survivor: Annotated[str, typer.Argument(metavar="SURVIVOR", help="Customer that stays.")],
    merged: Annotated[str, typer.Argument(metavar="MERGED", help="Customer folded into it.")],
    reason: Annotated[str | None, typer.Option(help="Why, for the record.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would happen.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Merge a customer entered twice into the one that stays (the survivor).

    Orders, notes, contacts, phones, e-mails, addresses, tags and consent move to the survivor;
    it keeps its own values and fills its blanks from the merged one. The merged customer stays
    as a pointer to the survivor, and the merge is recorded (see `show --json`, "merges").

    JSON: {survivor_id, merged_id, merge_id, dry_run, moved, dropped_duplicates, fields}.
    """
    with open_app(db) as a:
        ctx = a.business()
        keep, gone = resolve(a, ctx, survivor), resolve(a, ctx, merged)
        if not (yes or dry_run):
            preview = merge_customers(
                a.uow(), ctx=ctx, survivor_id=keep, merged_id=gone, dry_run=True
            )
            _print_merge(preview)
            if not typer.confirm(f"Merge customer {gone} into {keep}?", default=False):
                raise typer.Exit(1)
        report = merge_customers(
            a.uow(), ctx=ctx, survivor_id=keep, merged_id=gone, reason=reason, dry_run=dry_run
        )
    if as_json:
        print_json(report)
    else:
        _print_merge(report)


def _print_merge(r: Any) -> None:
    verb = "Would merge" if r.dry_run else "Merged"
    say(f"{verb} customer {r.merged_id} into customer [bold]{r.survivor_id}[/].")
    moved = ", ".join(f"{n} {k}" for k, n in r.moved.items() if n)
    say(f"  Moved: {moved or 'nothing'}")
    dropped = ", ".join(f"{k}: {', '.join(v)}" for k, v in r.dropped_duplicates.items() if v)
    if dropped:
        say(f"  Already on the survivor: {escape(dropped)}")
    if r.fields["filled"]:
        say(f"  Filled in: {escape(', '.join(r.fields['filled']))}")
    for c in r.fields["conflicts"]:
        say(f"  {c['field']}: kept {escape(str(c['kept']))}, dropped {escape(str(c['dropped']))}")
