"""`regulars worker`: the daily jobs at each business's local time, and outbox delivery.

    regulars worker [--once] [--today YYYY-MM-DD] [--daily-at HH:MM] [--every S] [--json]

`--once` runs every business's daily jobs for its local today (or `--today`), delivers every
due message, and exits: for cron, tests and a first look. Without it the worker keeps running:
each business's daily jobs once a day from `--daily-at` (local time, default 08:00), and
delivery every `--every` seconds. SIGTERM or Ctrl-C stops it between two steps; a message being
sent is finished or, if the process is killed, sent again after its lease runs out.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import asdict
from datetime import date, time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from regulars.bootstrap import App
from regulars.cli.common import DbOption, JsonOption, console, open_app, print_json
from regulars.services.daily_jobs import all_businesses, local_now, run_daily_jobs
from regulars.services.outbox import DeliveryRun, deliver_due

if TYPE_CHECKING:
    from regulars.services.greetings import MailSetup


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("use YYYY-MM-DD", param_hint="--today") from None


def _clock(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("use HH:MM", param_hint="--daily-at") from None


def deliver_all(app: App) -> DeliveryRun:
    """Deliver until nothing more is due now (failures wait for their backoff)."""
    total = DeliveryRun()
    channels = app.channels()
    while True:
        run = deliver_due(app.uow(), channels)
        total.sent, total.retried, total.dead = (
            total.sent + run.sent,
            total.retried + run.retried,
            total.dead + run.dead,
        )
        total.errors += run.errors[: max(0, 20 - len(total.errors))]
        if run.sent == 0:
            return total


def mail_setup(app: App) -> MailSetup:
    from regulars.services.greetings import MailSetup

    s = app.settings
    return MailSetup(s.mail_from, s.secret_key, s.public_url)


def _daily(app: App, today: date | None) -> list[dict[str, Any]]:
    reports = []
    mail = mail_setup(app)
    for ctx in all_businesses(app.uow()):
        day = today or local_now(ctx).date()
        reports.append(asdict(run_daily_jobs(app.uow(), ctx=ctx, day=day, mail=mail)))
    return reports


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="One round of everything, then exit.")
    ] = False,
    today: Annotated[
        str | None, typer.Option("--today", help="Run the daily jobs for this day (YYYY-MM-DD).")
    ] = None,
    daily_at: Annotated[
        str, typer.Option("--daily-at", help="Local time of the daily jobs (HH:MM).")
    ] = "08:00",
    every: Annotated[
        float, typer.Option("--every", min=0.1, help="Seconds between delivery rounds.")
    ] = 5.0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run the daily jobs (loyalty expiry, personal greetings) and deliver the outbox."""
    day = _day(today)
    at = _clock(daily_at)
    with open_app(db) as a:
        a.ready_schema()
        if once:
            days = _daily(a, day)
            run = deliver_all(a)
            out = {
                "days": days,
                "delivery": {
                    "sent": run.sent,
                    "retried": run.retried,
                    "dead": run.dead,
                    "errors": run.errors,
                },
            }
            if as_json:
                return print_json(out)
            for d in days:
                note = f" ({d['greetings_note']})" if d["greetings_note"] else ""
                console.print(
                    f"{d['business']} {d['day']}: {d['expired_cards']} cards expired, "
                    f"{d['greetings']} greetings queued{note}"
                )
            console.print(f"Delivered {run.sent}, to retry {run.retried}, dead {run.dead}.")
            return None
        _run_forever(a, at, every, day)
    return None


def _run_forever(app: App, at: time, every: float, fixed_day: date | None) -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    done: set[tuple[int, date]] = set()
    console.print("regulars worker running (Ctrl-C to stop)")
    while not stop.is_set():
        for ctx in all_businesses(app.uow()):
            now = local_now(ctx)
            day = fixed_day or now.date()
            if (ctx.tenant_id, day) not in done and (fixed_day or now.time() >= at):
                report = run_daily_jobs(app.uow(), ctx=ctx, day=day, mail=mail_setup(app))
                done.add((ctx.tenant_id, day))
                console.print(f"{report.business} {day}: daily jobs done")
        run = deliver_all(app)
        if run.sent or run.dead:
            console.print(f"delivered {run.sent}, to retry {run.retried}, dead {run.dead}")
        stop.wait(every)
