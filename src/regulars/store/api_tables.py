"""Tables of the HTTP API: hashed API keys per business, each with a role.

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
from regulars.store.tenancy import act_for_now, tenant_of_secret
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
    role: Mapped[str] = mapped_column(String(20), default="cashier")  # domain.access roles
    store: Mapped[str | None] = mapped_column(String(100))  # the till's shop, when one
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # to the cache's minute


@dataclass(frozen=True, slots=True)
class NewApiKey:
    id: int
    name: str
    key: str  # shown once, never stored
    hint: str
    created_at: datetime
    role: str = "cashier"
    store: str | None = None


@dataclass(frozen=True, slots=True)
class KeyView:
    """A key as an owner lists it: never the key itself."""

    id: int
    name: str
    hint: str
    role: str
    store: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def add_api_key(
    session: Session,
    *,
    tenant_id: int,
    name: str,
    role: str = "cashier",
    store: str | None = None,
) -> NewApiKey:
    """Create a key for the business and return it in clear text (the only time it exists).
    The role is checked by the caller (services know the roles; the store only keeps them)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        tenant_id=tenant_id,
        name=name,
        key_hash=hash_key(key),
        hint=key[:10],
        created_at=datetime.now(UTC),
        role=role,
        store=store,
    )
    session.add(row)
    session.flush()
    return NewApiKey(row.id, name, key, row.hint, row.created_at, role, store)


def key_of(session: Session, key: str) -> tuple[Business, ApiKey] | None:
    """The business and key row of a (non-revoked) key, or None; marks the key used.

    The session then acts for the key's business (row-level security on PostgreSQL)."""
    tenant = tenant_of_secret(session, ApiKey.__table__, ApiKey.key_hash, hash_key(key))
    if tenant is None:
        return None
    act_for_now(session, tenant)
    found = session.execute(
        select(Business, ApiKey)
        .join(ApiKey, ApiKey.tenant_id == Business.id)
        .where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
    ).first()
    if found is None:
        return None
    business, row = found
    row.last_used_at = datetime.now(UTC)
    return business, row


def business_of_key(session: Session, key: str) -> Business | None:
    """The business a (non-revoked) key acts for, or None for an unknown or revoked key."""
    found = key_of(session, key)
    return found[0] if found else None


def list_api_keys(session: Session, *, tenant_id: int) -> list[KeyView]:
    rows = session.scalars(select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.id))
    return [
        KeyView(k.id, k.name, k.hint, k.role, k.store, k.created_at, k.last_used_at, k.revoked_at)
        for k in rows
    ]


def revoke_api_key(session: Session, *, tenant_id: int, key_id: int) -> KeyView | None:
    """Revoke a key of this business (None: no such key); revoking twice keeps the first time."""
    k = session.scalar(select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id))
    if k is None:
        return None
    if k.revoked_at is None:
        k.revoked_at = datetime.now(UTC)
    return KeyView(
        k.id, k.name, k.hint, k.role, k.store, k.created_at, k.last_used_at, k.revoked_at
    )
