"""Sample values for every field of every kind: for previews without a real customer, and for
the trial render that checks a business's template when it is saved."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from regulars.domain.addressing import Addressee
from regulars.domain.customers import CustomerKind
from regulars.domain.messages import SPECS, MessageKind
from regulars.domain.money import Money
from regulars.domain.names import PersonName

SAMPLE_PERSON = Addressee("Anna Virtanen", PersonName(family="Virtanen", given="Anna"))
SAMPLE_COMPANY = Addressee(
    "Acme Oy",
    kind=CustomerKind.COMPANY,
    contact=Addressee("Mikko Laine", PersonName(family="Laine", given="Mikko")),
)

_VALUES: dict[str, Any] = {
    "business": "Regulars Café",
    "unsubscribe_url": "https://example.com/u/sample",
    "company": "Acme Oy",
    "years": 5,
    "first_deal_on": date(2021, 6, 1),
    "holiday": "Midsummer",
    "holiday_greeting": None,
    "order_number": "A-1042",
    "total": Money(Decimal("129.90"), "EUR"),
    "amount": Money(Decimal("49.50"), "EUR"),
    "balance": Money(Decimal("12.40"), "EUR"),
    "expected_on": date(2026, 6, 19),
    "new_date": date(2026, 6, 26),
    "ordered_on": date(2026, 6, 1),
    "expires_on": date(2026, 7, 31),
    "location": "Helsinki sorting centre",
    "carrier": "Posti",
    "tracking_url": "https://example.com/track/A-1042",
    "pay_url": "https://example.com/pay/A-1042",
    "product": "Espresso beans 1 kg",
    "reason": "a late delivery from our supplier",
    "tier": "Gold",
    "points": 250,
    "headline": "Our summer menu is here",
    "text": "Fresh berries, cold brew and new pastries — come and taste them this week.",
    "link_url": "https://example.com/summer",
    "link_label": None,
}


def sample_context(
    kind: MessageKind, customer: Addressee | None = None, *, optional: bool = True
) -> dict[str, Any]:
    """A context with every field `kind` may use (or only those it needs), with plausible values."""
    spec = SPECS[kind]
    names = spec.fields() if optional else spec.needed()
    ctx = {f: _VALUES[f] for f in names if f in _VALUES}
    ctx["customer"] = customer or SAMPLE_PERSON
    return ctx
