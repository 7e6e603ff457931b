"""Web sessions: start one at login, find it from the cookie's token, end it at logout.

A session ends after IDLE without a request or LIFETIME after login, whichever comes first;
each session has its own CSRF token that every state-changing form must send back.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from regulars.services.audit import record_event
from regulars.services.businesses import context_of
from regulars.services.context import BusinessContext
from regulars.services.users import LoggedIn
from regulars.store.tables import Business, StaffUser
from regulars.store.tenancy import act_for_now, tenant_of_secret
from regulars.store.uow import UnitOfWork
from regulars.store.web_tables import WebSession

IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most this often


@dataclass(frozen=True, slots=True)
class ActiveSession:
    ctx: BusinessContext  # acting as the user
    user_id: int
    email: str
    display_name: str
    role: str
    business: str  # the business's name
    csrf_token: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def start_session(
    uow: UnitOfWork, *, who: LoggedIn, client: str | None = None, at: datetime | None = None
) -> tuple[str, str]:
    """A new session for a logged-in user: (cookie token, CSRF token). The token exists only in
    the cookie; the database keeps its hash."""
    now = at or datetime.now(UTC)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with uow:
        uow.session.add(
            WebSession(
                tenant_id=who.ctx.tenant_id,
                user_id=who.user_id,
                token_hash=_digest(token),
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
                expires_at=now + LIFETIME,
                client=(client or "")[:200] or None,
            )
        )
    return token, csrf


def session_of(uow: UnitOfWork, *, token: str, at: datetime | None = None) -> ActiveSession | None:
    """The live session of a cookie token, or None (unknown, idle too long, past its lifetime,
    or the user deactivated); a dead session is deleted on the way."""
    if not token or len(token) > 200:
        return None
    now = at or datetime.now(UTC)
    with uow:
        s = uow.session
        digest = _digest(token)
        tenant = tenant_of_secret(s, WebSession.__table__, WebSession.token_hash, digest)
        if tenant is None:
            return None
        act_for_now(s, tenant)
        row = s.execute(
            select(WebSession, StaffUser, Business)
            .join(StaffUser, StaffUser.id == WebSession.user_id)
            .join(Business, Business.id == WebSession.tenant_id)
            .where(WebSession.token_hash == digest)
        ).first()
        if row is None:
            return None
        ws, user, b = row
        idle = now - _aware(ws.last_seen_at) > IDLE
        if idle or now >= _aware(ws.expires_at) or not user.active:
            s.delete(ws)
            return None
        if now - _aware(ws.last_seen_at) > TOUCH_EVERY:
            ws.last_seen_at = now
        ctx = replace(
            context_of(b, user.id),
            actor=user.email,
            source="web",
            role=user.role,
            department_id=user.department_id,
        )
        return ActiveSession(
            ctx,
            user.id,
            user.email,
            user.display_name,
            user.role,
            b.name,
            ws.csrf_token,
            _aware(ws.expires_at),
        )


def end_session(uow: UnitOfWork, *, token: str) -> None:
    """Log out: the session is gone at once, wherever its cookie is."""
    with uow:
        s = uow.session
        ws = s.scalar(select(WebSession).where(WebSession.token_hash == _digest(token)))
        if ws is None:
            return
        user = s.get(StaffUser, ws.user_id)
        b = s.get(Business, ws.tenant_id)
        if user is not None and b is not None:
            ctx = replace(context_of(b, user.id), actor=user.email, source="web")
            record_event(s, ctx, action="logout", target_kind="staff_user", target_id=user.id)
        s.execute(delete(WebSession).where(WebSession.id == ws.id))
