"""The kinds of message we send, why each is sent, and the facts each needs.

Purpose decides the rules: a marketing message needs marketing consent, counts against the
per-customer cap and carries an unsubscribe link; a service message (about an order, an account)
needs no consent but stops on request. Fields are listed here so a template (or a business's own
text) that refers to anything else is refused when it is saved, not when it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Purpose(StrEnum):
    MARKETING = "marketing"
    SERVICE = "service"


class MessageKind(StrEnum):
    BIRTHDAY = "birthday"
    COMPANY_ANNIVERSARY = "company_anniversary"
    FIRST_DEAL_ANNIVERSARY = "first_deal_anniversary"
    HOLIDAY = "holiday"
    ORDER_CONFIRMED = "order_confirmed"
    ORDER_PAID = "order_paid"
    ORDER_SHIPPED = "order_shipped"
    ORDER_DELIVERED = "order_delivered"
    UNPAID_REMINDER = "unpaid_reminder"
    OUT_OF_STOCK = "out_of_stock"
    ORDER_DELAYED = "order_delayed"
    CASHBACK_CREDITED = "cashback_credited"
    TIER_UP = "tier_up"
    TIER_DOWN = "tier_down"
    POINTS_EXPIRING = "points_expiring"
    ANNOUNCEMENT = "announcement"
    UNSUBSCRIBE_CONFIRMED = "unsubscribe_confirmed"

    @property
    def purpose(self) -> Purpose:
        return SPECS[self].purpose

    @property
    def marketing(self) -> bool:
        return SPECS[self].purpose == Purpose.MARKETING


# Every message may use these: who it is for and who sends it. `address` (name, greeting) is
# derived from `customer` by the renderer.
COMMON_FIELDS = frozenset({"customer", "business", "address"})
# Marketing messages must offer an opt-out (RFC 8058 header + a visible link).
MARKETING_FIELDS = frozenset({"unsubscribe_url"})


@dataclass(frozen=True, slots=True)
class KindSpec:
    """What a kind is for and which context fields its template may use."""

    purpose: Purpose
    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()

    def fields(self) -> frozenset[str]:
        """Every field a template of this kind may refer to."""
        extra = MARKETING_FIELDS if self.purpose == Purpose.MARKETING else frozenset()
        return COMMON_FIELDS | extra | self.required | self.optional

    def needed(self) -> frozenset[str]:
        """Fields the caller must provide (`address` is derived from `customer`)."""
        extra = MARKETING_FIELDS if self.purpose == Purpose.MARKETING else frozenset()
        return (COMMON_FIELDS - {"address"}) | extra | self.required


def _spec(purpose: Purpose, required: str = "", optional: str = "") -> KindSpec:
    return KindSpec(purpose, frozenset(required.split()), frozenset(optional.split()))


_M, _S = Purpose.MARKETING, Purpose.SERVICE

# Dates are `date`, money is `Money`, counts are `int`; texts are plain strings in the
# customer's language (a holiday's name, a tier's name, a product's name).
SPECS: dict[MessageKind, KindSpec] = {
    MessageKind.BIRTHDAY: _spec(_M),
    MessageKind.COMPANY_ANNIVERSARY: _spec(_M, "company years"),
    MessageKind.FIRST_DEAL_ANNIVERSARY: _spec(_M, "years", "first_deal_on"),
    MessageKind.HOLIDAY: _spec(_M, "holiday", "holiday_greeting"),
    MessageKind.ORDER_CONFIRMED: _spec(_S, "order_number", "total expected_on"),
    MessageKind.ORDER_PAID: _spec(_S, "order_number amount"),
    MessageKind.ORDER_SHIPPED: _spec(
        _S, "order_number", "location carrier tracking_url expected_on"
    ),
    MessageKind.ORDER_DELIVERED: _spec(_S, "order_number"),
    MessageKind.UNPAID_REMINDER: _spec(_S, "order_number amount", "ordered_on pay_url"),
    MessageKind.OUT_OF_STOCK: _spec(_S, "order_number product", "expected_on"),
    MessageKind.ORDER_DELAYED: _spec(_S, "order_number new_date", "reason"),
    MessageKind.CASHBACK_CREDITED: _spec(_S, "amount", "balance"),
    MessageKind.TIER_UP: _spec(_S, "tier"),
    MessageKind.TIER_DOWN: _spec(_S, "tier"),
    MessageKind.POINTS_EXPIRING: _spec(_S, "points expires_on"),
    MessageKind.ANNOUNCEMENT: _spec(_M, "headline text", "link_url link_label"),
    MessageKind.UNSUBSCRIBE_CONFIRMED: _spec(_S),
}
