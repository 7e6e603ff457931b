"""Tables the analytics write back: stored segments and scores, playbooks, key-account flags."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
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


class CustomerScore(Base):
    """The latest RFM scores, segment, value band, loyalty score and lifetime-value forecast
    of a customer.

    Recomputed as a whole (`regulars analytics refresh`, daily from cron or the worker;
    `analytics rfm --store`); computed_at says how fresh the row is. The forecast columns are
    empty when the history is too thin to fit the models.
    """

    __tablename__ = "analytics_customer_scores"
    __table_args__ = (Index("ix_analytics_customer_scores_segment", "tenant_id", "segment"),)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = _tenant()
    as_of: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    segment: Mapped[str] = mapped_column(String(20))
    value_band: Mapped[str] = mapped_column(String(1))  # A, B, C
    r_score: Mapped[int | None] = mapped_column(Integer)
    f_score: Mapped[int | None] = mapped_column(Integer)
    m_score: Mapped[int | None] = mapped_column(Integer)
    recency_days: Mapped[int | None] = mapped_column(Integer)
    frequency: Mapped[int] = mapped_column(Integer)
    monetary_minor: Mapped[int] = mapped_column(BigInteger)
    loyalty_score: Mapped[int] = mapped_column(Integer)
    p_alive: Mapped[float | None] = mapped_column(Float)  # a probability, not money
    expected_purchases_12m: Mapped[float | None] = mapped_column(Float)
    clv_minor: Mapped[int | None] = mapped_column(BigInteger)  # 12 months, discounted


class SegmentPlaybook(Base):
    """What to do with a segment, in the business's own words (defaults from the documents)."""

    __tablename__ = "analytics_segment_playbooks"
    __table_args__ = (UniqueConstraint("tenant_id", "segment"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    segment: Mapped[str] = mapped_column(String(20))
    strategy: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KeyAccountFlag(Base):
    """A customer marked key by a person, though maybe small: high potential, reputation,
    innovator or demanding."""

    __tablename__ = "analytics_key_account_flags"
    __table_args__ = (UniqueConstraint("tenant_id", "customer_id", "kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime)
