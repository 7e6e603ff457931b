"""`regulars orders …`: record orders, move them through their stages, follow up the late ones."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape

from regulars.cli.common import DbOption, JsonOption, console, open_app, print_json, print_table
from regulars.domain.errors import ValidationError
from regulars.domain.orders import OrderStatus, parse_local_time
from regulars.services.order_queries import (
    OrderDetails,
    list_orders,
    show_order,
    stuck_orders,
    unpaid_orders,
)
from regulars.services.orders import change_order_status, record_order

app = typer.Typer(no_args_is_help=True, help="Record orders and follow them through their stages.")

STATUSES = ", ".join(OrderStatus)


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,} {currency}"


def _local(when: datetime, tz: str) -> str:
    return when.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def _line_spec(text: str) -> tuple[str, str, str]:
    """SKU:QTY:PRICE, split from the right so a SKU may itself contain colons."""
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise ValidationError(f"--line expects SKU:QTY:PRICE (e.g. TEA-01:2:45000), not {text!r}")
    sku, qty, price = parts
    return sku, qty, price


def _print_order(o: OrderDetails, tz: str) -> None:
    ext = f" ({escape(o.external_id)})" if o.external_id else ""
    where = ", ".join(x for x in (o.store, o.channel) if x)
    seen = f"; goods last seen at {escape(o.location)}" if o.location else ""
    say = partial(console.print, highlight=False, emoji=False)
    say(f"[bold]Order {o.id}{ext}[/] for {escape(o.customer_name)} (customer {o.customer_id})")
    say(
        f"Placed {_local(o.placed_at, tz)}{f' at {escape(where)}' if where else ''}; "
        f"status [bold]{o.status}[/] since {_local(o.status_changed_at, tz)}{seen}"
    )
    print_table(
        None,
        ["#", "SKU", "Product", "Qty", "Unit price", "Line total"],
        [
            (
                line.line_no,
                line.sku,
                line.name,
                line.quantity,
                f"{line.unit_price:,}",
                f"{line.line_total:,}",
            )
            for line in o.lines
        ],
    )
    say(f"Total: [bold]{_money(o.total, o.currency)}[/]")
    print_table(
        "History",
        ["When", "From", "To", "Where", "Note"],
        [
            (_local(h.at, tz), h.from_status or "", h.to_status, h.location, h.note)
            for h in o.history
        ],
    )


@app.command("add")
def add(
    customer: Annotated[str, typer.Argument(help="Customer id or external id.")],
    line: Annotated[
        list[str],
        typer.Option("--line", help="SKU:QTY:PRICE, once per line; unknown SKUs become products."),
    ],
    currency: Annotated[
        str | None, typer.Option(help="ISO 4217 code (default: the business's currency).")
    ] = None,
    placed_at: Annotated[
        str | None,
        typer.Option(help="ISO 8601 time; without an offset, the business's local time."),
    ] = None,
    status: Annotated[str, typer.Option(help=f"Initial status: {STATUSES}.")] = "placed",
    store: Annotated[str | None, typer.Option(help="Store or branch.")] = None,
    channel: Annotated[str | None, typer.Option(help="store, web, phone, marketplace…")] = None,
    external_id: Annotated[str | None, typer.Option(help="Your own order number.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Record an order: `regulars orders add C-1001 --line TEA-01:2:45000 --line CUP:1:120000`."""
    lines = [_line_spec(text) for text in line]
    with open_app(db) as a:
        ctx = a.business()
        when = parse_local_time(placed_at, ctx.timezone) if placed_at else None
        order = record_order(
            a.uow(),
            ctx=ctx,
            customer_id=customer,
            lines=lines,
            currency=currency,
            placed_at=when,
            status=status,
            store=store,
            channel=channel,
            external_id=external_id,
        )
    if json:
        print_json(order)
    else:
        _print_order(order, ctx.timezone)


@app.command("status")
def status(
    order: Annotated[str, typer.Argument(help="Order id or external id.")],
    new_status: Annotated[str, typer.Argument(metavar="NEW_STATUS", help=STATUSES)],
    note: Annotated[str | None, typer.Option(help="Why, or what the customer was told.")] = None,
    location: Annotated[
        str | None, typer.Option(help="Where the goods are (warehouse, courier, city…).")
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="When it happened (ISO 8601; default: now).")
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Move an order to its next stage; an impossible move is refused, naming the possible ones."""
    with open_app(db) as a:
        ctx = a.business()
        when = parse_local_time(at, ctx.timezone, field="at") if at else None
        details = change_order_status(
            a.uow(),
            ctx=ctx,
            order_id=order,
            status=new_status,
            note=note,
            location=location,
            at=when,
        )
    if json:
        print_json(details)
    else:
        _print_order(details, ctx.timezone)


@app.command("show")
def show(
    order: Annotated[str, typer.Argument(help="Order id or external id.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """An order with its lines, total and every stage it went through."""
    with open_app(db) as a:
        ctx = a.business()
        details = show_order(a.uow(), ctx=ctx, order_id=order)
    if json:
        print_json(details)
    else:
        _print_order(details, ctx.timezone)


@app.command("list")
def list_(
    customer: Annotated[
        str | None, typer.Option(help="Only this customer (id or external id).")
    ] = None,
    status: Annotated[str | None, typer.Option(help=f"Only this status: {STATUSES}.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Orders, newest first."""
    with open_app(db) as a:
        ctx = a.business()
        rows = list_orders(a.uow(), ctx=ctx, customer=customer, status=status, limit=limit)
    if json:
        print_json(rows)
        return
    print_table(
        f"Orders ({len(rows)})",
        ["Id", "External id", "Customer", "Placed", "Status", "Total", "Store", "Channel"],
        [
            (
                o.id,
                o.external_id,
                o.customer_name,
                _local(o.placed_at, ctx.timezone),
                o.status,
                _money(o.total, o.currency),
                o.store,
                o.channel,
            )
            for o in rows
        ],
    )


@app.command("unpaid")
def unpaid(
    days: Annotated[int, typer.Option(min=0, help="Placed at least this many days ago.")] = 3,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Orders placed or confirmed but not paid for N days: call these customers."""
    with open_app(db) as a:
        ctx = a.business()
        rows = unpaid_orders(a.uow(), ctx=ctx, older_than_days=days)
    if json:
        print_json(rows)
        return
    print_table(
        f"Unpaid for {days}+ days ({len(rows)})",
        ["Id", "External id", "Customer", "Status", "Placed", "Days", "Total"],
        [
            (
                o.id,
                o.external_id,
                o.customer_name,
                o.status,
                _local(o.placed_at, ctx.timezone),
                o.days_unpaid,
                _money(o.total, o.currency),
            )
            for o in rows
        ],
    )


@app.command("stuck")
def stuck(
    days: Annotated[
        int, typer.Option(min=0, help="In the same stage at least this many days.")
    ] = 7,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Orders stuck in an open stage (before delivery, or returned and not refunded) for N days."""
    with open_app(db) as a:
        ctx = a.business()
        rows = stuck_orders(a.uow(), ctx=ctx, older_than_days=days)
    if json:
        print_json(rows)
        return
    print_table(
        f"Stuck for {days}+ days ({len(rows)})",
        ["Id", "External id", "Customer", "Stage", "Since", "Days", "Last location", "Total"],
        [
            (
                o.id,
                o.external_id,
                o.customer_name,
                o.status,
                _local(o.since, ctx.timezone),
                o.days_stuck,
                o.location,
                _money(o.total, o.currency),
            )
            for o in rows
        ],
    )
