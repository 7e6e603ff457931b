"""Request and response bodies of the POS API (pydantic 2).

Amounts travel as decimal STRINGS ("12.50"): a JSON number would pass through binary floating
point in many clients. Floats are refused here; the loyalty service checks the rest (sign,
the currency's decimals, the program's currency), so the API and the CLI accept the same input.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

AMOUNT_HELP = 'a decimal string such as "12.50" (never a JSON number)'


def _amount_text(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("invalid_amount", 'amounts are decimal strings such as "12.50"')
    return value


def _quantity(value: Any) -> str | int:
    """Quantities may be whole JSON numbers (2) or decimal strings ("0.75"), never floats."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PydanticCustomError(
            "invalid_amount", 'quantities are integers or decimal strings such as "0.75"'
        )
    return value


AmountText = Annotated[
    str, BeforeValidator(_amount_text), Field(description=AMOUNT_HELP, examples=["5000.00"])
]
QuantityText = Annotated[str | int, BeforeValidator(_quantity), Field(examples=[2, "0.75"])]
Currency = Annotated[str, Field(min_length=3, max_length=3, examples=["EUR"])]
Ref = Annotated[str, Field(min_length=1, max_length=100)]


class Strict(BaseModel):
    """Unknown fields are refused: a typo such as "ammount" must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


class BasketLineIn(Strict):
    sku: Ref
    quantity: QuantityText
    unit_price: AmountText
    category: str | None = Field(default=None, max_length=100)


class Holder(Strict):
    """A card by its number, or a customer's own active card by their external id."""

    card: Ref | None = Field(
        default=None, description="the card number, as printed (spaces and dashes allowed)"
    )
    customer: Ref | None = Field(
        default=None, description="instead of card: the customer's external id"
    )
    program: Ref | None = Field(
        default=None, description="with customer: the program, if they hold several programs' cards"
    )

    @model_validator(mode="after")
    def _card_or_customer(self) -> Holder:
        if (self.card is None) == (self.customer is None):
            raise PydanticCustomError("invalid", "give exactly one of card or customer")
        return self


class QuoteIn(Holder):
    currency: Currency
    lines: list[BasketLineIn] = Field(min_length=1, max_length=1000)
    redeem: AmountText | None = Field(
        default=None, description="what the customer wants to pay from the card, if anything"
    )


class AccrueIn(Holder):
    order: Ref
    currency: Currency
    amount: AmountText | None = Field(default=None, description="the paid amount (or give lines)")
    lines: list[BasketLineIn] | None = Field(default=None, min_length=1, max_length=1000)
    pending: bool = Field(default=False, description="true: available only once the order is paid")

    @model_validator(mode="after")
    def _amount_or_lines(self) -> AccrueIn:
        if (self.amount is None) == (self.lines is None):
            raise PydanticCustomError("invalid", "give exactly one of amount or lines")
        return self


class PaidIn(Strict):
    order: Ref
    program: Ref | None = Field(default=None, description="only if the business has several")


class RedeemIn(Holder):
    order: Ref
    amount: AmountText
    currency: Currency
    order_total: AmountText | None = Field(
        default=None, description="the order's total, for the program's redeem cap"
    )


class RefundIn(Strict):
    order: Ref
    amount: AmountText | None = Field(default=None, description="omit for a full refund")
    currency: Currency | None = None
    program: Ref | None = Field(default=None, description="only if the business has several")

    @model_validator(mode="after")
    def _currency_with_amount(self) -> RefundIn:
        if self.amount is not None and self.currency is None:
            raise PydanticCustomError("invalid", "a refund amount needs its currency")
        return self


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RewardOut(Out):
    rule: str
    amount: Decimal
    reason: str


class QuoteOut(Out):
    card: str
    tier: str | None
    currency: str
    total: Decimal
    discount: Decimal
    to_pay: Decimal
    earn: Decimal
    max_redeem: Decimal
    available: Decimal
    rewards: list[RewardOut]


class AccrualOut(Out):
    entry_id: int
    card: str
    order: str
    earned: Decimal
    pending: bool
    available: Decimal
    pending_balance: Decimal
    tier: str | None
    rewards: list[RewardOut]
    replayed: bool


class PaidOut(Out):
    order: str
    made_available: Decimal
    released: Decimal
    given_back: Decimal
    entries: list[int]


class RedemptionOut(Out):
    entry_id: int
    card: str
    order: str
    redeemed: Decimal
    available: Decimal
    pending_balance: Decimal
    replayed: bool


class RefundOut(Out):
    entry_id: int | None
    order: str
    refunded: Decimal
    refunded_total: Decimal
    reversed: Decimal
    given_back: Decimal
    unrecovered: Decimal
    replayed: bool


class CardOut(Out):
    number: str
    program: str
    unit: str
    available: Decimal
    pending: Decimal
    tier: str | None
    status: str
