"""Tables of the HTTP API: hashed API keys per business (full roles come with the API issue).

Only the SHA-256 of a key is stored: the key itself is a random 32-byte token shown once, so a
stolen database does not open the API. The helpers here are the whole key repository.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from regulars.store.tables import Base, Business
from regulars.store.types import UTCDateTime

KEY_PREFIX = "rk_"


class ApiKey(Base):
    """A key that lets a point of sale (or a partner) act for one business."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the key
    hint: Mapped[str] = mapped_column(String(16))  # the key's first characters, for listings
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True, slots=True)
class NewApiKey:
    id: int
    name: str
    key: str  # shown once, never stored
    hint: str
    created_at: datetime


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def add_api_key(session: Session, *, tenant_id: int, name: str) -> NewApiKey:
    """Create a key for the business and return it in clear text (the only time it exists)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        tenant_id=tenant_id,
        name=name,
        key_hash=hash_key(key),
        hint=key[:10],
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return NewApiKey(id=row.id, name=name, key=key, hint=row.hint, created_at=row.created_at)


def business_of_key(session: Session, key: str) -> Business | None:
    """The business a (non-revoked) key acts for, or None for an unknown or revoked key."""
    return session.scalar(
        select(Business)
        .join(ApiKey, ApiKey.tenant_id == Business.id)
        .where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
    )
