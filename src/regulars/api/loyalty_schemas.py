"""Request bodies of the loyalty resources (programs, members, cards, vouchers) and the pages
they answer with. Responses are the services' own result dataclasses.

Numbers travel as decimal strings like the POS amounts, and are bounded here (at most 15
digits before the point, 10 after): the rules then check ranges and the currency's decimals,
and nothing out of reach of the ledger's integer columns can get as far as the database.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from regulars.api.bodies import Body
from regulars.services.loyalty.history import CardEntry


def _number_text(value: Any) -> Any:
    """JSON numbers are refused like the POS amounts: a float has already lost exactness."""
    if not isinstance(value, str):
        raise PydanticCustomError("invalid_amount", 'numbers are decimal strings such as "5"')
    return value


NUMBER_HELP = 'a decimal string such as "5" or "12.50" (never a JSON number)'
DecimalText = Annotated[
    str,
    BeforeValidator(_number_text),
    Field(
        pattern=r"^[0-9]{1,15}(\.[0-9]{1,10})?$",
        max_length=26,
        description=NUMBER_HELP,
        examples=["5"],
    ),
]
Ref = Annotated[str, Field(min_length=1, max_length=100)]
Limit = Annotated[int, Field(ge=1, le=1_000_000)]


class TierIn(Body):
    code: Annotated[str, Field(min_length=1, max_length=40, examples=["gold"])]
    threshold: DecimalText = Field(description="of the program's tier metric; the first is 0")
    discount_percent: DecimalText = "0"
    name: Annotated[str, Field(max_length=100)] = ""
    perks: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=20)] = Field(
        default_factory=list
    )


class ProgramIn(Body):
    """A program as `regulars loyalty program create` takes it, plus the rules the CLI leaves
    at their defaults. Percentages are of the order's amount; bonuses are in program units."""

    code: Annotated[str, Field(min_length=1, max_length=40, examples=["CLUB"])]
    currency: Annotated[str, Field(min_length=3, max_length=3, examples=["EUR"])]
    kind: Literal["cashback", "points"] = "cashback"
    point_value: DecimalText = Field(default="1", description="currency value of one point")
    cashback_percent: DecimalText = "0"
    points_per_unit: DecimalText = "0"
    repeat_order_discount_percent: DecimalText = "0"
    welcome_bonus: DecimalText = "0"
    birthday_bonus: DecimalText = "0"
    referral_bonus_referrer: DecimalText = "0"
    referral_bonus_referee: DecimalText = "0"
    min_spend: DecimalText = "0"
    max_redeem_percent: DecimalText = "100"
    stack_discounts: bool = False
    birthday_window_days: Annotated[int, Field(ge=0, le=182)] = 7
    category_multipliers: Annotated[
        dict[Annotated[str, Field(min_length=1, max_length=100)], DecimalText],
        Field(max_length=50),
    ] = Field(default_factory=dict)
    tiers: Annotated[list[TierIn], Field(max_length=20)] = Field(default_factory=list)
    tier_metric: Literal["spend_12m", "spend_lifetime", "orders_12m"] = "spend_12m"
    expiry_months: Annotated[int, Field(ge=1, le=1200)] | None = Field(
        default=12, description="life of earned value; null = never expires"
    )


class MemberIn(Body):
    business: Annotated[
        str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$", description="the partner's slug")
    ]


class CardIn(Body):
    """A personal card (`customer`: id or `ext:` external id) or a bearer card (`bearer`)."""

    program: Ref
    customer: Ref | None = None
    bearer: bool = False


class VoucherIn(Body):
    program: Ref
    kind: Literal["amount", "percent", "gift"] = "amount"
    value: DecimalText = Field(description="money off, or the percent for kind percent")
    count: Annotated[int, Field(ge=1, le=500)] = 1
    valid_from: date | None = None
    valid_until: date | None = Field(default=None, description="the last valid day")
    max_uses: Limit | None = Field(default=1, description="1 = single use; null = unlimited")
    per_customer_limit: Limit | None = 1
    min_spend: DecimalText = "0"
    prefix: Annotated[str, Field(max_length=8)] = ""


class VoucherRedeemIn(Body):
    """Use a voucher on an order, for a card's holder or a customer (id or `ext:` id)."""

    order: Ref
    order_total: DecimalText
    card: Ref | None = None
    customer: Ref | None = None


class CardHistoryPage(BaseModel):
    items: list[CardEntry]
    next_cursor: str | None
