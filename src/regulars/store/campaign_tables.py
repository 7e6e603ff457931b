"""Tables of campaigns: who was targeted, who was held back as a control group, and when.

The control group is drawn and stored when the campaign is sent, so "did it pay off" compares
two groups that differ only by chance, and the split can be reproduced from the seed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from regulars.store.tables import Base
from regulars.store.types import UTCDateTime


def _tenant() -> Mapped[int]:
    return mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)


class Campaign(Base):
    """A promotion, announcement or win-back push, with its control share, seed and cost."""

    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # CampaignKind
    promotes: Mapped[str | None] = mapped_column(String(100))  # loyalty rule or program code
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    control_share: Mapped[str] = mapped_column(String(12))  # Decimal as text, 0 ≤ share < 1
    seed: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    cost_per_contact_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CampaignMember(Base):
    """One customer of a campaign's audience: treatment (sent) or control (held back)."""

    __tablename__ = "campaign_members"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id"),
        Index("ix_campaign_members_tenant_campaign", "tenant_id", "campaign_id"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    member_group: Mapped[str] = mapped_column(String(10))  # treatment | control
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None for the control group
