"""The audit log as use cases: record an event inside the caller's transaction, read it back.

An event is written in the same unit of work as the change it describes, so a change is never
committed without its audit row (and a rolled-back change leaves none).
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.domain.errors import ValidationError
from regulars.services.context import BusinessContext
from regulars.store.audit_tables import AuditEvent
from regulars.store.tables import StaffUser
from regulars.store.uow import UnitOfWork

SOURCES = ("cli", "api", "web")


@dataclass(frozen=True, slots=True)
class AuditView:
    id: int
    at: datetime
    actor: str
    source: str
    action: str
    target_kind: str
    target_id: int | None
    detail: dict[str, Any] | None


def _actor(session: Session, ctx: BusinessContext) -> str:
    if ctx.actor:
        return ctx.actor
    if ctx.actor_id is not None:
        email = session.scalar(select(StaffUser.email).where(StaffUser.id == ctx.actor_id))
        if email:
            return email
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "os:unknown"


def record_event(
    session: Session,
    ctx: BusinessContext,
    *,
    action: str,
    target_kind: str,
    target_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit row to the caller's transaction (committed or rolled back with it)."""
    session.add(
        AuditEvent(
            tenant_id=ctx.tenant_id,
            at=datetime.now(UTC),
            actor_id=ctx.actor_id,
            actor=_actor(session, ctx)[:320],
            source=ctx.source if ctx.source in SOURCES else "cli",
            action=action,
            target_kind=target_kind,
            target_id=target_id,
            detail=detail,
        )
    )


def audit_events(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    action: str | None = None,
    actor: str | None = None,
    target_kind: str | None = None,
    target_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[AuditView]:
    """The business's audit log, newest first, filtered; `action` may end in `*` (a prefix)."""
    if limit < 1:
        raise ValidationError("the limit must be at least 1", field="limit")
    q = select(AuditEvent).where(AuditEvent.tenant_id == ctx.tenant_id)
    if action:
        q = q.where(
            AuditEvent.action.startswith(action[:-1])
            if action.endswith("*")
            else AuditEvent.action == action
        )
    if actor:
        q = q.where(AuditEvent.actor == actor)
    if target_kind:
        q = q.where(AuditEvent.target_kind == target_kind)
    if target_id is not None:
        q = q.where(AuditEvent.target_id == target_id)
    if since is not None:
        q = q.where(AuditEvent.at >= since)
    if until is not None:
        q = q.where(AuditEvent.at < until)
    q = q.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    with uow:
        return [
            AuditView(e.id, e.at, e.actor, e.source, e.action, e.target_kind, e.target_id, e.detail)
            for e in uow.session.scalars(q)
        ]
