"""The worker's daily jobs for one business and one local calendar day.

Each job is safe to run twice for the same day: expiry posts only lots still open, and every
message a job writes carries a dedupe key naming the day, so a second run sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select

from regulars.services.businesses import context_of
from regulars.services.context import BusinessContext
from regulars.services.loyalty import expire_lots
from regulars.store.tables import Business
from regulars.store.uow import UnitOfWork

if TYPE_CHECKING:
    from regulars.services.greetings import MailSetup


@dataclass(frozen=True, slots=True)
class DailyReport:
    business: str
    day: date
    expired_cards: int
    greetings: int  # queued today (none again on a second run)
    greetings_skipped: dict[str, int]  # no_address, no_consent, capped
    greetings_note: str | None  # why none could be written (settings missing)


def all_businesses(uow: UnitOfWork) -> list[BusinessContext]:
    """Every business in the database (the worker serves them all; it runs as the owner)."""
    with uow:
        return [context_of(b) for b in uow.session.scalars(select(Business).order_by(Business.id))]


def local_now(ctx: BusinessContext, now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(ctx.timezone))


def end_of_day(ctx: BusinessContext, day: date) -> datetime:
    """The last moment of `day` in the business's time zone, in UTC: what expired by then."""
    local = datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(ctx.timezone))
    return local.astimezone(UTC)


def run_daily_jobs(
    uow: UnitOfWork, *, ctx: BusinessContext, day: date, mail: MailSetup | None = None
) -> DailyReport:
    """Expire loyalty value past its date (as of the end of `day`, local time, but never in
    the future); queue the day's personal greetings (when mail is set up)."""
    from regulars.services.greetings import GreetingRun, greet_occasions  # templates load here

    cutoff = min(end_of_day(ctx, day), datetime.now(UTC))
    expired = expire_lots(uow, ctx=ctx, now=cutoff)
    g = (
        greet_occasions(uow, ctx=ctx, day=day, setup=mail)
        if mail
        else GreetingRun(not_ready="no mail settings")
    )
    skipped = {"no_address": g.no_address, "no_consent": g.no_consent, "capped": g.capped}
    return DailyReport(ctx.slug, day, len(expired.cards), g.queued, skipped, g.not_ready)
