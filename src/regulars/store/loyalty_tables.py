"""Tables of the loyalty engine: programs, members, cards, tiers and the append-only ledger.

The program owner's tenant owns every row of its ledger (coalition partners included); the
business where an operation happened is kept on each entry and lot. Amounts are integer minor
units of the program's unit (cents for cashback, whole points for points programs).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from regulars.store.tables import Base
from regulars.store.types import UTCDateTime


def _tenant() -> Mapped[int]:
    return mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)


def _id() -> Mapped[int]:
    return mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)


class LoyaltyProgram(Base):
    """A program: its unit (a currency or points), rules and tiers as the owner set them."""

    __tablename__ = "loyalty_programs"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    code: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(10))  # ProgramKind
    currency: Mapped[str] = mapped_column(String(3))
    unit_digits: Mapped[int] = mapped_column(Integer)  # minor digits of the ledger's unit
    point_value: Mapped[str] = mapped_column(String(40))  # Decimal as text: exact everywhere
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)  # RuleSpec, decimals as text
    tiers: Mapped[list[Any]] = mapped_column(JSON)  # [{code, threshold, discount_percent, …}]
    tier_metric: Mapped[str] = mapped_column(String(20))
    expiry_months: Mapped[int | None] = mapped_column(Integer)
    card_prefix: Mapped[str | None] = mapped_column(String(6), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoyaltyMember(Base):
    """A business in the program's coalition; the owner is a member too."""

    __tablename__ = "loyalty_members"
    __table_args__ = (UniqueConstraint("program_id", "business_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    program_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programs.id", ondelete="CASCADE"))
    business_id: Mapped[int] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(10))  # owner | partner
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoyaltyCard(Base):
    """A personal (customer_id set) or bearer card; a replaced card points to its successor."""

    __tablename__ = "loyalty_cards"
    __table_args__ = (Index("ix_loyalty_cards_tenant_customer", "tenant_id", "customer_id"),)
    id: Mapped[int] = _id()
    tenant_id: Mapped[int] = _tenant()
    program_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programs.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # personal | bearer
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(10))  # active | blocked | replaced
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_cards.id"))
    tier: Mapped[str | None] = mapped_column(String(50))
    issued_by: Mapped[int] = mapped_column(ForeignKey("businesses.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoyaltyTierChange(Base):
    """History of a card's tier: when, from what, to what, and the metric that decided it."""

    __tablename__ = "loyalty_tier_changes"
    id: Mapped[int] = _id()
    tenant_id: Mapped[int] = _tenant()
    card_id: Mapped[int] = mapped_column(
        ForeignKey("loyalty_cards.id", ondelete="CASCADE"), index=True
    )
    from_tier: Mapped[str | None] = mapped_column(String(50))
    to_tier: Mapped[str | None] = mapped_column(String(50))
    metric_value: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoyaltyAccount(Base):
    """A ledger account: a card's wallet or pending, a member's clearing, the program's expired."""

    __tablename__ = "loyalty_accounts"
    __table_args__ = (UniqueConstraint("program_id", "kind", "owner_key"),)
    id: Mapped[int] = _id()
    tenant_id: Mapped[int] = _tenant()
    program_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # AccountKind
    owner_key: Mapped[str] = mapped_column(String(40))  # card:ID | member:BUSINESS | program
    card_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_cards.id"), index=True)
    member_business_id: Mapped[int | None] = mapped_column(ForeignKey("businesses.id"))


class LoyaltyBalance(Base):
    """The cached balance of one account; `verify` rebuilds it from postings and compares."""

    __tablename__ = "loyalty_balances"
    account_id: Mapped[int] = mapped_column(
        ForeignKey("loyalty_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = _tenant()
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class LoyaltyEntry(Base):
    """A journal entry: never updated or deleted; a reversal is a new entry."""

    __tablename__ = "loyalty_entries"
    __table_args__ = (
        UniqueConstraint("program_id", "idempotency_key"),
        Index("ix_loyalty_entries_program_order", "program_id", "order_ref"),
        Index("ix_loyalty_entries_program_at", "program_id", "at"),
    )
    id: Mapped[int] = _id()
    tenant_id: Mapped[int] = _tenant()
    program_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # EntryKind
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    member_business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_cards.id"), index=True)
    order_ref: Mapped[str | None] = mapped_column(String(100))
    order_amount_minor: Mapped[int | None] = mapped_column(BigInteger)  # in the order's currency
    # Refunds: earned value due back (reversed), of which already spent (unrecovered), and
    # redeemed value returned (given_back); cumulative bounds are checked against these.
    reversed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    unrecovered_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    given_back_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # what the first call returned


class LoyaltyPosting(Base):
    """One line of an entry; the lines of an entry sum to zero."""

    __tablename__ = "loyalty_postings"
    id: Mapped[int] = _id()
    tenant_id: Mapped[int] = _tenant()
    entry_id: Mapped[int] = mapped_column(ForeignKey("loyalty_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("loyalty_accounts.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class LoyaltyLot(Base):
    """Earned value with its origin member and expiry; spending eats the oldest lots first."""

    __tablename__ = "loyalty_lots"
    __table_args__ = (
        Index("ix_loyalty_lots_card_status", "card_id", "status"),
        Index("ix_loyalty_lots_tenant_expiry", "tenant_id", "status", "expires_at"),
    )
    id: Mapped[int] = _id()
    tenant_id: Mapped[int] = _tenant()
    program_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programs.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("loyalty_cards.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("loyalty_entries.id"))
    member_business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"))
    order_ref: Mapped[str | None] = mapped_column(String(100))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    remaining_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))  # pending | available | closed
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoyaltyLotUse(Base):
    """Which entry ate how much of which lot, and where: the basis of coalition settlement."""

    __tablename__ = "loyalty_lot_uses"
    __table_args__ = (Index("ix_loyalty_lot_uses_program_at", "program_id", "at"),)
    id: Mapped[int] = _id()
    tenant_id: Mapped[int] = _tenant()
    program_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programs.id", ondelete="CASCADE"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("loyalty_lots.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("loyalty_entries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # EntryKind that consumed it
    earned_member_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"))
    spent_member_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoyaltyReward(Base):
    """A snapshot of an applied reward (what, how much, why, which rule) for cost analysis."""

    __tablename__ = "loyalty_rewards"
    __table_args__ = (Index("ix_loyalty_rewards_tenant_order", "tenant_id", "order_ref"),)
    id: Mapped[int] = _id()
    tenant_id: Mapped[int] = _tenant()
    program_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programs.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("loyalty_entries.id"), index=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_cards.id"))
    order_ref: Mapped[str | None] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(50))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
