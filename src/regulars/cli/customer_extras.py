"""`regulars customers update|note|contact|consent|staff …`: keeping the dossier current. Thin."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any

import typer
from rich.markup import escape

from regulars.bootstrap import App
from regulars.cli.common import DbOption, JsonOption, console, open_app, print_json, print_table
from regulars.domain.errors import ValidationError
from regulars.services.consents import consent_history, record_consent
from regulars.services.contacts import add_contact, add_note
from regulars.services.context import BusinessContext
from regulars.services.customer_queries import resolve_customer
from regulars.services.customers import UNSET, AddressIn, update_customer
from regulars.services.staff import add_staff_user, list_staff

say = partial(console.print, highlight=False, emoji=False)
Ref = Annotated[
    str,
    typer.Argument(
        metavar="CUSTOMER", help="Customer id, or external id (ext:ID forces external)."
    ),
]
Phones = Annotated[
    list[str] | None,
    typer.Option("--phone", help="Phone in any format; without +country the business's region."),
]
Emails = Annotated[list[str] | None, typer.Option("--email", help="E-mail address (repeatable).")]
Tags = Annotated[list[str] | None, typer.Option("--tag", help="Free tag, e.g. vip (repeatable).")]
Interests = Annotated[
    list[str] | None, typer.Option("--interest", help="Hobby or food they like (repeatable).")
]
Addresses = Annotated[
    list[str] | None,
    typer.Option("--address", help="Address as 'street, city[, country code]' (repeatable)."),
]
Opt = Annotated[str | None, typer.Option()]


def parse_address(text: str) -> AddressIn:
    parts = [p.strip() for p in text.split(",")]
    country = parts.pop() if len(parts) >= 3 and len(parts[-1]) == 2 else None
    city = parts.pop() if len(parts) >= 2 else None
    return AddressIn(line1=", ".join(parts), city=city, country=country)


def parse_date(text: str | None, what: str) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            f"{what.replace('_', ' ')} {text!r} is not a date: use YYYY-MM-DD", field=what
        ) from None


def resolve(a: App, ctx: BusinessContext, ref: str) -> int:
    return resolve_customer(a.uow(), ctx=ctx, ref=ref)


def note(
    ref: Ref,
    text: Annotated[str, typer.Argument(help="The note, e.g. 'prefers calls after 6 pm'.")],
    author: Annotated[str | None, typer.Option(help="Author's staff e-mail.")] = None,
    kind: Annotated[
        str,
        typer.Option(help="note, or feedback / suggestion the customer gave (a loyalty signal)."),
    ] = "note",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a timestamped note to a customer's dossier."""
    with open_app(db) as a:
        ctx = a.business()
        n = add_note(
            a.uow(),
            ctx=ctx,
            customer_id=resolve(a, ctx, ref),
            body=text,
            author_email=author,
            kind=kind,
        )
    print_json(n) if as_json else say(f"Noted (note {n.id}).")


_CLEARABLE = (
    *("external_id", "legal_name", "language", "birthday", "founded_on", "first_deal_on"),
    *("manager", "department", "potential", "region", "income_band"),
)


def update(
    ref: Ref,
    name: Annotated[str | None, typer.Option(help="New full name.")] = None,
    family: Opt = None,
    given: Opt = None,
    middle: Opt = None,
    patronymic: Opt = None,
    legal_name: Opt = None,
    external_id: Opt = None,
    language: Opt = None,
    birthday: Opt = None,
    founded_on: Opt = None,
    first_deal_on: Opt = None,
    manager: Opt = None,
    department: Opt = None,
    potential: Opt = None,
    region: Opt = None,
    income_band: Opt = None,
    phone: Phones = None,
    remove_phone: Annotated[list[str] | None, typer.Option(help="Phone to remove.")] = None,
    email: Emails = None,
    remove_email: Annotated[list[str] | None, typer.Option(help="E-mail to remove.")] = None,
    tag: Tags = None,
    remove_tag: Annotated[list[str] | None, typer.Option(help="Tag to remove.")] = None,
    interest: Interests = None,
    remove_interest: Annotated[list[str] | None, typer.Option(help="Interest to remove.")] = None,
    address: Addresses = None,
    clear: Annotated[
        list[str] | None,
        typer.Option(
            help=f"Empty a field: {', '.join(_CLEARABLE)} (first_deal_on: back to derived)."
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a customer: only the options given change; --phone/--email/--tag add more."""
    given_values: dict[str, Any] = {
        "name": name,
        "family_name": family,
        "given_name": given,
        "middle_name": middle,
        "patronymic": patronymic,
        "legal_name": legal_name,
        "external_id": external_id,
        "language": language,
        "birthday": parse_date(birthday, "birthday"),
        "founded_on": parse_date(founded_on, "founded_on"),
        "first_deal_on": parse_date(first_deal_on, "first_deal_on"),
        "manager_email": manager,
        "department": department,
        "potential": potential,
        "region": region,
        "income_band": income_band,
    }
    changes = {k: v for k, v in given_values.items() if v is not None}
    for field in clear or ():
        if field not in _CLEARABLE:
            raise ValidationError(f"--clear {field!r}: use one of {', '.join(_CLEARABLE)}")
        changes[{"manager": "manager_email"}.get(field, field)] = None
    with open_app(db) as a:
        ctx = a.business()
        d = update_customer(
            a.uow(),
            ctx=ctx,
            customer_id=resolve(a, ctx, ref),
            add_phone_numbers=phone or (),
            remove_phone_numbers=remove_phone or (),
            add_email_addresses=email or (),
            remove_email_addresses=remove_email or (),
            add_tag_values=tag or (),
            remove_tag_values=remove_tag or (),
            add_interest_values=interest or (),
            remove_interest_values=remove_interest or (),
            add_addresses=[parse_address(x) for x in address or ()],
            **{k: changes.get(k, UNSET) for k in given_values},
        )
    if as_json:
        print_json(d)
    else:
        say(f"Updated customer [bold]{d.id}[/]: {escape(d.display_name)}")


contact_app = typer.Typer(no_args_is_help=True, help="People at a company customer.")


@contact_app.command("add")
def contact_add(
    ref: Ref,
    name: Annotated[str | None, typer.Argument(help="Full name of the contact.")] = None,
    family: Annotated[str | None, typer.Option(help="Family name.")] = None,
    given: Annotated[str | None, typer.Option(help="Given name.")] = None,
    patronymic: Annotated[str | None, typer.Option(help="Patronymic, where used.")] = None,
    level: Annotated[
        str, typer.Option(help="owner, ceo, top_manager, middle_manager, accountant or staff.")
    ] = "staff",
    title: Annotated[str | None, typer.Option(help="Job title.")] = None,
    department: Annotated[str | None, typer.Option(help="Their department.")] = None,
    buying_role: Annotated[
        str | None, typer.Option(help="decision_maker, finance, technical, user or other.")
    ] = None,
    stance: Annotated[str | None, typer.Option(help="supporter, neutral or opponent.")] = None,
    phone: Annotated[list[str] | None, typer.Option("--phone", help="Phone (repeatable).")] = None,
    email: Annotated[list[str] | None, typer.Option("--email", help="E-mail (repeatable).")] = None,
    birthday: Annotated[str | None, typer.Option(help="YYYY-MM-DD.")] = None,
    language: Annotated[str | None, typer.Option(help="BCP 47 tag, e.g. vi.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a person at a company customer: level, role in buying, stance, own phones."""
    with open_app(db) as a:
        ctx = a.business()
        k = add_contact(
            a.uow(),
            ctx=ctx,
            customer_id=resolve(a, ctx, ref),
            name=name,
            family_name=family,
            given_name=given,
            patronymic=patronymic,
            level=level,
            job_title=title,
            department=department,
            buying_role=buying_role,
            stance=stance,
            phones=phone or (),
            emails=email or (),
            birthday=parse_date(birthday, "birthday"),
            language=language,
        )
    print_json(k) if as_json else say(f"Added contact {k.id}: {escape(k.display_name)}")


consent_app = typer.Typer(no_args_is_help=True, help="Consent to be contacted, with history.")


@consent_app.command("record")
def consent_record(
    ref: Ref,
    channel: Annotated[str, typer.Option(help="email, sms, phone or post.")],
    purpose: Annotated[str, typer.Option(help="service or marketing.")],
    source: Annotated[str, typer.Option(help="Where it was given: web form, till, call…")],
    grant: Annotated[
        bool, typer.Option("--grant/--withdraw", help="Consent given, or taken back.")
    ] = True,
    contact: Annotated[int | None, typer.Option(help="A contact's id, not the customer.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record that a customer allowed (--grant) or refused (--withdraw) a kind of message.

    Nothing is overwritten: the latest entry per channel and purpose is the one in force.
    """
    with open_app(db) as a:
        ctx = a.business()
        c = record_consent(
            a.uow(),
            ctx=ctx,
            customer_id=resolve(a, ctx, ref),
            channel=channel,
            purpose=purpose,
            granted=grant,
            source=source,
            contact_id=contact,
        )
    if as_json:
        print_json(c)
    else:
        say(f"Recorded: {c.channel} {c.purpose} {'allowed' if c.granted else 'refused'}.")


@consent_app.command("history")
def consent_history_command(ref: Ref, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every consent given or withdrawn by a customer, oldest first."""
    with open_app(db) as a:
        ctx = a.business()
        rows = consent_history(a.uow(), ctx=ctx, customer_id=resolve(a, ctx, ref))
    if as_json:
        print_json(rows)
        return
    print_table(
        "Consent history",
        ["When (UTC)", "Channel", "Purpose", "Allowed", "Source", "Contact"],
        [
            (
                f"{c.recorded_at:%Y-%m-%d %H:%M}",
                c.channel,
                c.purpose,
                "yes" if c.granted else "no",
                c.source,
                c.contact_id,
            )
            for c in rows
        ],
    )


staff_app = typer.Typer(
    no_args_is_help=True, help="Staff users: managers responsible for customers."
)


@staff_app.command("add")
def staff_add(
    email: Annotated[str, typer.Argument(help="Their e-mail; it identifies them.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    role: Annotated[
        str, typer.Option(help="owner, manager, cashier, analyst or partner.")
    ] = "manager",
    department: Annotated[str | None, typer.Option(help="Department (created if new).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a staff user, e.g. a manager to name with `customers add --manager`."""
    with open_app(db) as a:
        ctx = a.business()
        u = add_staff_user(
            a.uow(), ctx=ctx, email=email, display_name=name, role=role, department=department
        )
    print_json(u) if as_json else say(f"Added {u.role} {escape(u.display_name)} <{u.email}>.")


@staff_app.command("list")
def staff_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the staff users of the business."""
    with open_app(db) as a:
        rows = list_staff(a.uow(), ctx=a.business())
    if as_json:
        print_json(rows)
        return
    print_table(
        "Staff",
        ["Id", "E-mail", "Name", "Role", "Department", "Active"],
        [(u.id, u.email, u.display_name, u.role, u.department, u.active) for u in rows],
    )


def export_all(
    reason: Annotated[str, typer.Option(help="Why the whole base leaves the system (audited).")],
    out: Annotated[str | None, typer.Option(help="CSV file to write (default: stdout).")] = None,
    db: DbOption = None,
) -> None:
    """Export every active customer as CSV (UTF-8); recorded in the audit log with the reason."""
    import csv
    import sys

    from regulars.services.bulk_export import export_customers

    with open_app(db) as a:
        rows = export_customers(a.uow(), ctx=a.business(), reason=reason)
        if out is None:
            csv.writer(sys.stdout).writerows(rows)
            return
        with open(out, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            written = sum(1 for row in rows if w.writerow(row) is not None)
    say(f"Exported {max(written - 1, 0):,} customers to {out}.")
