"""The outbox: messages written with their cause, delivered by the worker after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from regulars.store.tables import Base
from regulars.store.types import UTCDateTime


class OutboxMessage(Base):
    """One message to one recipient on one channel, with its delivery state.

    `dedupe_key` (unique per business) makes enqueueing idempotent: a daily job run twice, or a
    status change told twice, writes one message (e.g. "birthday:2026:42")."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("tenant_id", "dedupe_key"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_customer", "tenant_id", "customer_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))  # birthday, order_shipped, announcement …
    purpose: Mapped[str] = mapped_column(String(12))  # marketing | service
    channel: Mapped[str] = mapped_column(String(12))  # email | webhook | task
    recipient: Mapped[str] = mapped_column(String(2000))  # an address, a URL, a staff user id
    language: Mapped[str] = mapped_column(String(35))
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)  # e.g. List-Unsubscribe
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # a webhook's JSON body
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
