"""The morning briefing: what a manager should look at first today, in one place.

Key accounts and their warnings, dependency alarms, the ten lapsed customers with the most
value at risk, birthdays and anniversaries of the coming week, unpaid and stuck orders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from regulars.analytics.backend import Store
from regulars.analytics.dependency import Dependency, dependency
from regulars.analytics.key_accounts import KeyAccount, ManagerWarning, key_accounts
from regulars.analytics.lapsed import LapsedCustomer, lapsed
from regulars.analytics.occasions import Occasion, upcoming
from regulars.analytics.shares import LEVELS
from regulars.services.context import BusinessContext
from regulars.services.order_queries import StuckOrder, UnpaidOrder, stuck_orders, unpaid_orders
from regulars.store.uow import UnitOfWork

FOLLOW_UP_DAYS = 7  # unpaid / stuck for at least a week
LAPSED_SHOWN = 10


@dataclass(frozen=True, slots=True)
class Briefing:
    today: date
    currency: str
    key_accounts: list[KeyAccount] = field(default_factory=list)
    manager_warnings: list[ManagerWarning] = field(default_factory=list)
    alarms: list[Dependency] = field(default_factory=list)  # every group not in the "fine" band
    lapsed: list[LapsedCustomer] = field(default_factory=list)
    occasions: list[Occasion] = field(default_factory=list)
    unpaid_orders: list[UnpaidOrder] = field(default_factory=list)
    stuck_orders: list[StuckOrder] = field(default_factory=list)


def morning_briefing(
    uow: Callable[[], UnitOfWork], *, ctx: BusinessContext, store: Store, today: date | None = None
) -> Briefing:
    """Assemble the briefing; `uow()` gives a fresh unit of work for each order query."""
    day = today or store.today()
    keys = key_accounts(store, day, "company")
    alarms = [d for level in LEVELS for d in dependency(store, day, level) if d.band != "fine"]
    return Briefing(
        today=day,
        currency=store.scope.currency,
        key_accounts=keys.accounts,
        manager_warnings=keys.warnings,
        alarms=alarms,
        lapsed=lapsed(store, day, limit=LAPSED_SHOWN),
        occasions=upcoming(store, day, 7),
        unpaid_orders=unpaid_orders(uow(), ctx=ctx, older_than_days=FOLLOW_UP_DAYS),
        stuck_orders=stuck_orders(uow(), ctx=ctx, older_than_days=FOLLOW_UP_DAYS),
    )
