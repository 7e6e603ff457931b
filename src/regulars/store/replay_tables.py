"""Stored answers of API requests that create something, by their Idempotency-Key.

A client that retries a POST after a timeout gets the first answer instead of a second
customer or order. (Loyalty operations keep their keys with the ledger entry itself.) Answers
are kept for ANSWERS_KEPT: long enough for any retry, and no longer, since they hold personal
data (`regulars admin prune` deletes older ones; a key older than that is simply new again).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from regulars.store.tables import Base
from regulars.store.types import UTCDateTime

ANSWERS_KEPT = timedelta(hours=24)


class StoredResponse(Base):
    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))  # method, path and body
    status: Mapped[int] = mapped_column(Integer)  # 0 while the request is being handled
    body: Mapped[Any] = mapped_column(JSON, nullable=True)
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
