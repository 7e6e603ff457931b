"""The audit log: who changed, exported or opened what, when and from where. Append-only.

Rows are only ever inserted; the ORM refuses to update or delete one, so a bug cannot rewrite
history (on PostgreSQL the application role is also denied UPDATE and DELETE on the table).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from regulars.store.tables import Base
from regulars.store.types import UTCDateTime


class AuditEvent(Base):
    """One thing a person or an integration did: `action` on `target_kind` #`target_id`."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_tenant_at", "tenant_id", "at"),
        Index("ix_audit_log_tenant_action", "tenant_id", "action"),
        Index("ix_audit_log_tenant_target", "tenant_id", "target_kind", "target_id"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(320))  # e-mail, "key <name>" or the OS user
    source: Mapped[str] = mapped_column(String(8))  # cli, api, web
    action: Mapped[str] = mapped_column(String(64))  # e.g. customer.view, customer.erase
    target_kind: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse(_mapper: Mapper[Any], _conn: Any, target: AuditEvent) -> None:
    raise AuditLogIsAppendOnly(f"audit event {target.id} cannot be changed or deleted")
