"""`regulars admin …`: businesses (tenants), staff logins and roles, API keys, the audit log.

These commands act for the business named by --tenant (its slug), not the default one, so one
database can hold many businesses administered from the same shell.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from regulars.cli.common import DbOption, JsonOption, console, open_app, print_json, print_table
from regulars.domain.customers import StaffRole
from regulars.services import housekeeping, users
from regulars.services.api_keys import KEY_ROLES, create_key, keys, revoke_key
from regulars.services.audit import audit_events
from regulars.services.businesses import find_business

app = typer.Typer(no_args_is_help=True, help="Tenants, staff logins and roles, API keys, audit.")
tenant_app = typer.Typer(no_args_is_help=True, help="Businesses (tenants) in this database.")
user_app = typer.Typer(no_args_is_help=True, help="Staff users who log in, with a role.")
key_app = typer.Typer(no_args_is_help=True, help="API keys: a role each, shown once, revocable.")
app.add_typer(tenant_app, name="tenant")
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="apikey")

ROLES = ", ".join(r.value for r in StaffRole)
Tenant = Annotated[str, typer.Option("--tenant", help="The business's slug.")]


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Argument(help="The business's name, e.g. 'Cà phê Sài Gòn'.")],
    slug: Annotated[str | None, typer.Option(help="Short key (default: from the name).")] = None,
    region: Annotated[str, typer.Option(help="Default phone region (ISO 3166).")] = "US",
    currency: Annotated[str, typer.Option(help="Default currency (ISO 4217).")] = "USD",
    language: Annotated[str, typer.Option(help="Default language (BCP 47).")] = "en",
    timezone: Annotated[str, typer.Option(help="IANA time zone.")] = "UTC",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a business; its customers, staff and keys are invisible to every other one."""
    with open_app(db) as a:
        t = users.create_tenant(
            a.uow(),
            name=name,
            slug=slug,
            default_region=region,
            default_currency=currency,
            default_language=language,
            timezone=timezone,
        )
    if as_json:
        return print_json({"tenant": t})
    console.print(f"Business {t.name!r} created (slug {t.slug}, id {t.id}).", highlight=False)


@user_app.command("add")
def user_add(
    tenant: Tenant,
    email: Annotated[str, typer.Option(help="The user's e-mail (their login).")],
    role: Annotated[str, typer.Option(help=f"One of: {ROLES}.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    department: Annotated[str | None, typer.Option(help="Department / sales unit.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a staff user; with --password-stdin they can log in to the web pages."""
    password = _read_password() if password_stdin else None
    with open_app(db) as a:
        ctx = find_business(a.uow(), slug=tenant)
        uid = users.add_user(
            a.uow(),
            ctx=ctx,
            email=email,
            role=role,
            password=password,
            display_name=name,
            department=department,
        )
    if as_json:
        return print_json({"user": {"id": uid, "email": email.strip().lower(), "role": role}})
    console.print(f"Staff user {uid} ({email}, {role}) added to {tenant}.", highlight=False)


@user_app.command("password")
def user_password(
    tenant: Tenant,
    email: Annotated[str, typer.Option(help="The user's e-mail.")],
    db: DbOption = None,
) -> None:
    """Set a new password (read from standard input); also lifts a lockout."""
    password = _read_password()
    with open_app(db) as a:
        ctx = find_business(a.uow(), slug=tenant)
        users.set_password(a.uow(), ctx=ctx, email=email, password=password)
    console.print("Password set.")


@user_app.command("grant")
def user_grant(
    tenant: Tenant,
    email: Annotated[str, typer.Option(help="The user's e-mail.")],
    right: Annotated[str, typer.Argument(help="e.g. analytics.personal")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Take the right back.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Give a user one right beyond their role (e.g. an analyst who may see names)."""
    with open_app(db) as a:
        ctx = find_business(a.uow(), slug=tenant)
        grants = users.grant(a.uow(), ctx=ctx, email=email, right=right, revoke=revoke)
    if as_json:
        return print_json({"grants": grants})
    console.print(f"Grants of {email}: {', '.join(grants) or 'none'}.", highlight=False)


@key_app.command("create")
def apikey_create(
    tenant: Tenant,
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(KEY_ROLES)}.")],
    store: Annotated[str | None, typer.Option(help="The shop of the till.")] = None,
    name: Annotated[str | None, typer.Option(help="What it is for (default: the role).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a key with a role; the key is printed once, only its hash is kept."""
    with open_app(db) as a:
        ctx = find_business(a.uow(), slug=tenant)
        new = create_key(a.uow(), ctx=ctx, name=name or role, role=role, store=store)
    if as_json:
        return print_json({"key": new.key, "id": new.id, "role": new.role, "store": new.store})
    console.print(f"API key {new.id} ({new.role}) for {tenant}:", highlight=False)
    console.print(new.key, highlight=False, markup=False, soft_wrap=True)
    console.print("Store it now: it is not shown again.")


@key_app.command("revoke")
def apikey_revoke(
    key_id: Annotated[int, typer.Argument(help="The key's id (from create or list).")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke a key: refused within 30 seconds on every server (their caches expire)."""
    with open_app(db) as a:
        view = revoke_key(a.uow(), key_id=key_id)
    if as_json:
        return print_json({"key": view})
    console.print(f"API key {view.id} ({view.name}) revoked.", highlight=False)


@key_app.command("list")
def apikey_list(tenant: Tenant, db: DbOption = None, as_json: JsonOption = False) -> None:
    """The business's keys with role, store, last use and revocation (never the keys)."""
    with open_app(db) as a:
        rows = keys(a.uow(), ctx=find_business(a.uow(), slug=tenant))
    if as_json:
        return print_json({"keys": rows})
    print_table(
        "API keys",
        ["id", "name", "role", "store", "hint", "last used", "revoked"],
        [(k.id, k.name, k.role, k.store, k.hint, k.last_used_at, k.revoked_at) for k in rows],
    )


@app.command("audit")
def audit(
    tenant: Tenant,
    action: Annotated[
        str | None, typer.Option(help="e.g. customer.erase, or customer.* for a prefix.")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Who: an e-mail, 'key <name>'…")] = None,
    customer: Annotated[int | None, typer.Option(help="Events about this customer.")] = None,
    since: Annotated[str | None, typer.Option(help="From this UTC date (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The audit log, newest first: who changed, exported or opened what, when, from where."""
    start = None
    if since:
        try:
            start = datetime.fromisoformat(since).replace(tzinfo=UTC)
        except ValueError:
            raise typer.BadParameter("use YYYY-MM-DD", param_hint="--since") from None
    with open_app(db) as a:
        ctx = find_business(a.uow(), slug=tenant)
        events = audit_events(
            a.uow(),
            ctx=ctx,
            action=action,
            actor=actor,
            target_kind="customer" if customer is not None else None,
            target_id=customer,
            since=start,
            limit=limit,
        )
    if as_json:
        return print_json({"events": events})
    print_table(
        "Audit log",
        ["when (UTC)", "actor", "source", "action", "target"],
        [
            (
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.actor,
                e.source,
                e.action,
                f"{e.target_kind} {e.target_id}" if e.target_id is not None else e.target_kind,
            )
            for e in events
        ],
    )


def _read_password() -> str:
    """The first line of standard input (scripts pipe it; nothing is echoed or logged)."""
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise typer.BadParameter("no password on standard input", param_hint="--password-stdin")
    return password


@app.command("prune")
def prune(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Delete what is kept only for a while, for every business: stored API answers older than
    24 hours (they hold personal data) and ended web sessions. Run nightly."""
    with open_app(db) as a:
        a.ready_schema()
        report = housekeeping.prune(a.uow())
    if as_json:
        return print_json(report)
    console.print(
        f"Deleted {report.idempotent_answers} stored API answers and "
        f"{report.web_sessions} ended web sessions."
    )
