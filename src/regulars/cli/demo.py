"""`regulars demo`: build a realistic demo business and say what to try next. Thin."""

from __future__ import annotations

import dataclasses
from datetime import date
from time import perf_counter
from typing import Annotated

import typer

from regulars.cli.common import DbOption, JsonOption, console, err_console, open_app, print_json
from regulars.config import DEFAULT_DATABASE_URL
from regulars.demo import DEFAULT_CUSTOMERS, DEFAULT_SEED, MIN_CUSTOMERS, DemoSummary, build_demo
from regulars.domain.errors import ValidationError
from regulars.domain.money import from_minor

BIG_RUN = 20_000  # from this many customers on, progress goes to stderr


def demo(
    db: DbOption = None,
    customers: Annotated[
        int,
        typer.Option(
            min=MIN_CUSTOMERS,
            max=10_000_000,
            help=f"How many customers (people and companies), {MIN_CUSTOMERS} or more.",
        ),
    ] = DEFAULT_CUSTOMERS,
    seed: Annotated[int, typer.Option(min=0, help="Same seed, same database.")] = DEFAULT_SEED,
    today: Annotated[
        str | None,
        typer.Option(help="Build as if today were this date (YYYY-MM-DD); default: today."),
    ] = None,
    no_serve: Annotated[
        bool,
        typer.Option(
            "--no-serve",
            help="Only build and print the summary. (Serving the dashboard afterwards comes "
            "with the dashboard; until then the demo always just builds.)",
        ),
    ] = False,
    with_briefing: Annotated[
        bool,
        typer.Option("--briefing", help="Then print the morning briefing of the demo business."),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Build a realistic demo business: customers, orders, key accounts, lapsed regulars.

    Builds into an empty database or over an earlier demo; a database with real data is
    refused, never touched.
    """
    del no_serve  # nothing to serve yet
    day = _parse_day(today)
    progress = _Progress() if customers >= BIG_RUN else None
    with open_app(db) as app:
        app.ready_schema()
        summary = build_demo(
            app.engine,
            slug=app.settings.business,
            customers=customers,
            seed=seed,
            today=day,
            progress=progress,
        )
        url = app.settings.database_url
    summary.next_steps = _next_steps(summary, url)
    if json:
        print_json(dataclasses.asdict(summary))
    else:
        _print(summary)
    if with_briefing and not json:
        from regulars.cli.analytics_people import briefing

        briefing(json=False, db=db)


def _parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"--today {text!r} is not a date (YYYY-MM-DD)") from None


class _Progress:
    """A line on stderr per finished table and per million rows, with the time so far."""

    def __init__(self) -> None:
        self.started = perf_counter()
        self.shown: dict[str, int] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        before = self.shown.get(label, 0)
        self.shown[label] = done
        if done == total or done // 1_000_000 > before // 1_000_000:
            err_console.print(
                f"[{perf_counter() - self.started:6.1f}s] {label}: {done:,} / {total:,}",
                highlight=False,
                markup=False,
            )


def _next_steps(s: DemoSummary, url: str) -> list[str]:
    db = "" if url == DEFAULT_DATABASE_URL else f" --db {url}"
    steps = [
        f"regulars customers list --kind company{db}",
        f"regulars customers duplicates{db}",
        f"regulars orders unpaid --days 7{db}",
        f"regulars orders stuck --days 7{db}",
        f"regulars import customers FILE{db}",
        f"regulars import orders FILE{db}",
    ]
    if s.key_accounts:
        steps.insert(1, f"regulars customers show {s.key_accounts[0].id}{db}")
    return steps


def _money(minor: int, currency: str) -> str:
    return f"{from_minor(minor, currency):,} {currency}"


def _print(s: DemoSummary) -> None:
    def out(text: str) -> None:
        console.print(text, soft_wrap=True, highlight=False)

    out(f"[bold]{s.business}[/bold] — built in {s.seconds:.1f} s (seed {s.seed}, today {s.today})")
    out(
        f"  customers   {s.customers:,} ({s.people:,} people, {s.companies:,} companies, "
        f"{s.contacts:,} contacts at companies)"
    )
    out(
        f"  orders      {s.orders:,} with {s.order_lines:,} lines, {s.products} products; "
        f"{s.managers} managers in {s.departments} departments"
    )
    out(f"  revenue     {_money(s.revenue_minor, s.currency)}, {s.first_order} … {s.last_order}")
    out(f"  top 20 %    of buyers bring {s.top20_share:.0%} of revenue")
    for k in s.key_accounts:
        out(f"  key account {k.name} (#{k.id}) brings {k.share:.1%} of revenue")
    out(f"  lapsed      {s.lapsed:,} regulars stopped buying (call them and ask why)")
    out(
        f"  this week   {s.birthdays_this_week} birthdays, {s.company_birthdays_this_week} company "
        f"birthdays, {s.first_deal_anniversaries_this_week} first-deal anniversaries"
    )
    out(f"  follow up   {s.unpaid} orders unpaid and {s.stuck} stuck for 7+ days")
    out(f"  duplicates  {s.shared_phones} phone numbers shared by two customers")
    out("Try next:")
    for step in s.next_steps:
        console.print(f"  {step}", soft_wrap=True, highlight=False, markup=False)
