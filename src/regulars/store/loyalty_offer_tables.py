"""Tables of the loyalty offers: vouchers and their uses, distributor rebates, referrals, reviews.

Value given by these offers goes through the ledger (loyalty_tables); these rows remember the
offer itself and make it idempotent: unique constraints decide races, not read-then-write.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from regulars.store.tables import Base
from regulars.store.types import UTCDateTime


def _tenant() -> Mapped[int]:
    return mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)


def _id() -> Mapped[int]:
    return mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)


def _program() -> Mapped[int]:
    return mapped_column(ForeignKey("loyalty_programs.id", ondelete="CASCADE"))


class LoyaltyVoucher(Base):
    """A gift or promotion code; None limits are unlimited, max_uses 1 is single use."""

    __tablename__ = "loyalty_vouchers"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)
    id: Mapped[int] = _id()
    tenant_id: Mapped[int] = _tenant()
    program_id: Mapped[int] = _program()
    code: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(10))  # amount | percent | gift
    value: Mapped[str] = mapped_column(String(40))  # Decimal as text: money or percent
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    max_uses: Mapped[int | None] = mapped_column(Integer)
    per_customer_limit: Mapped[int | None] = mapped_column(Integer)
    min_spend_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoyaltyVoucherUse(Base):
    """One use of a voucher; `single_key` is set only for single-use vouchers, so the unique
    constraint lets exactly one use through however many race."""

    __tablename__ = "loyalty_voucher_uses"
    __table_args__ = (
        UniqueConstraint("single_key"),
        Index("ix_loyalty_voucher_uses_voucher_customer", "voucher_id", "customer_key"),
    )
    id: Mapped[int] = _id()
    tenant_id: Mapped[int] = _tenant()
    voucher_id: Mapped[int] = mapped_column(ForeignKey("loyalty_vouchers.id", ondelete="CASCADE"))
    single_key: Mapped[int | None] = mapped_column(BigInteger)
    customer_key: Mapped[str] = mapped_column(String(40))  # customer:ID | card:ID
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_cards.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("loyalty_entries.id"))
    order_ref: Mapped[str] = mapped_column(String(100))
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # discount, in the currency
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoyaltyRebateScheme(Base):
    """What a distributor (a customer) is promised back on its volume, per period kind."""

    __tablename__ = "loyalty_rebate_schemes"
    __table_args__ = (UniqueConstraint("program_id", "customer_id"),)
    id: Mapped[int] = _id()
    tenant_id: Mapped[int] = _tenant()
    program_id: Mapped[int] = _program()
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(15))  # quantitative | fixed
    brackets: Mapped[list[Any]] = mapped_column(JSON)  # [[threshold, percent], …] as text
    mode: Mapped[str] = mapped_column(String(10))  # whole | marginal
    per_unit: Mapped[str] = mapped_column(String(40))
    per_order: Mapped[str] = mapped_column(String(40))
    period_kind: Mapped[str] = mapped_column(String(10))  # month | quarter | year
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoyaltyRebateStatement(Base):
    """A distributor's rebate for one closed period; unique, so re-running pays once."""

    __tablename__ = "loyalty_rebate_statements"
    __table_args__ = (UniqueConstraint("scheme_id", "period"),)
    id: Mapped[int] = _id()
    tenant_id: Mapped[int] = _tenant()
    scheme_id: Mapped[int] = mapped_column(
        ForeignKey("loyalty_rebate_schemes.id", ondelete="CASCADE")
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    period: Mapped[str] = mapped_column(String(10))  # YYYY-MM | YYYY-Qn | YYYY
    volume_minor: Mapped[int] = mapped_column(BigInteger)
    orders: Mapped[int] = mapped_column(Integer)
    rebate_minor: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[list[Any]] = mapped_column(JSON)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_entries.id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_cards.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoyaltyReferral(Base):
    """A customer brought by another; both are rewarded once, on the referee's first paid order."""

    __tablename__ = "loyalty_referrals"
    __table_args__ = (UniqueConstraint("program_id", "referee_id"),)
    id: Mapped[int] = _id()
    tenant_id: Mapped[int] = _tenant()
    program_id: Mapped[int] = _program()
    referrer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    referee_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rewarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoyaltyTierReview(Base):
    """A card's review state between runs: the next review date and since when it is below."""

    __tablename__ = "loyalty_tier_reviews"
    card_id: Mapped[int] = mapped_column(
        ForeignKey("loyalty_cards.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = _tenant()
    review_date: Mapped[date] = mapped_column(Date)
    below_since: Mapped[date | None] = mapped_column(Date)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
