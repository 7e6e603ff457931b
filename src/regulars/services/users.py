"""Tenants and their staff logins: create a business, add a user with a role and a password,
log in with lockout after repeated failures, grant a right beyond the role."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.domain.access import GRANTABLE, Permission, permissions, role_of
from regulars.domain.customers import StaffRole
from regulars.domain.errors import Conflict, LoginRefused, NotFound, ValidationError
from regulars.domain.names import clean
from regulars.services.audit import record_event
from regulars.services.businesses import context_of, new_business
from regulars.services.context import BusinessContext
from regulars.services.passwords import hash_password, needs_rehash, verify_password
from regulars.services.staff import add_staff_user
from regulars.store.tables import Business, StaffUser
from regulars.store.tenancy import act_for_now
from regulars.store.uow import UnitOfWork

MAX_FAILURES = 5  # failed logins in a row before the account is locked…
LOCKOUT = timedelta(minutes=15)  # …for this long


@dataclass(frozen=True, slots=True)
class TenantView:
    id: int
    slug: str
    name: str
    default_region: str
    default_currency: str
    default_language: str
    timezone: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LoggedIn:
    ctx: BusinessContext  # acting as the user (actor_id, actor, source "web")
    user_id: int
    email: str
    role: str
    permissions: frozenset[Permission]


def slug_of(name: str) -> str:
    """A URL-safe slug from a business name: 'Cà phê Sài Gòn' → 'ca-phe-sai-gon'."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return slug[:64]


def create_tenant(
    uow: UnitOfWork,
    *,
    name: str,
    slug: str | None = None,
    default_region: str = "US",
    default_currency: str = "USD",
    default_language: str = "en",
    timezone: str = "UTC",
) -> TenantView:
    """A new business in the same database; its data is invisible to every other business."""
    title = clean(name)
    if not title:
        raise ValidationError("the business needs a name", field="name")
    key = slug_of(slug or title)
    if not key:
        raise ValidationError(
            f"cannot make a slug from {slug or title!r}: give --slug", field="slug"
        )
    with uow:
        s = uow.session
        if s.scalar(select(Business.id).where(Business.slug == key)) is not None:
            raise Conflict(f"a business with slug {key!r} already exists", field="slug")
        b = new_business(
            s,
            slug=key,
            name=title,
            default_region=default_region,
            default_currency=default_currency,
            default_language=default_language,
            timezone=timezone,
        )
        record_event(
            s, context_of(b), action="tenant.create", target_kind="business", target_id=b.id
        )
        return TenantView(
            b.id,
            b.slug,
            b.name,
            b.default_region,
            b.default_currency,
            b.default_language,
            b.timezone,
            b.created_at,
        )


def add_user(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    email: str,
    role: StaffRole | str,
    password: str | None,
    display_name: str | None = None,
    department: str | None = None,
) -> int:
    """A staff user who can log in (with a password) in the given role; returns the id."""
    try:
        role_of(str(role))
    except ValueError as e:
        raise ValidationError(str(e), field="role") from None
    hashed = hash_password(password) if password is not None else None
    view = add_staff_user(
        uow, ctx=ctx, email=email, display_name=display_name, role=role, department=department
    )
    with uow:
        s = uow.session
        user = s.get_one(StaffUser, view.id)
        user.password_hash = hashed
        user.failed_logins = 0
        record_event(
            s,
            ctx,
            action="user.add",
            target_kind="staff_user",
            target_id=view.id,
            detail={"role": view.role},
        )
    return view.id


def _user(s: Session, ctx: BusinessContext, email: str) -> StaffUser:
    user = s.scalar(
        select(StaffUser).where(
            StaffUser.tenant_id == ctx.tenant_id, StaffUser.email == email.strip().lower()
        )
    )
    if user is None:
        raise NotFound(f"no staff user {email!r}")
    return user


def set_password(uow: UnitOfWork, *, ctx: BusinessContext, email: str, password: str) -> None:
    hashed = hash_password(password)
    with uow:
        user = _user(uow.session, ctx, email)
        user.password_hash = hashed
        user.failed_logins = 0
        user.locked_until = None
        record_event(
            uow.session, ctx, action="user.password", target_kind="staff_user", target_id=user.id
        )


def grant(
    uow: UnitOfWork, *, ctx: BusinessContext, email: str, right: str, revoke: bool = False
) -> list[str]:
    """Give (or take back) one grantable right beyond the user's role; returns the grants."""
    if right not in {p.value for p in GRANTABLE}:
        known = ", ".join(sorted(p.value for p in GRANTABLE))
        raise ValidationError(f"{right!r} cannot be granted (grantable: {known})", field="right")
    with uow:
        user = _user(uow.session, ctx, email)
        now = set(user.grants or [])
        now = now - {right} if revoke else now | {right}
        user.grants = sorted(now)
        record_event(
            uow.session,
            ctx,
            action="user.revoke" if revoke else "user.grant",
            target_kind="staff_user",
            target_id=user.id,
            detail={"right": right},
        )
        return list(user.grants)


def log_in(
    uow: UnitOfWork,
    *,
    tenant: str,
    email: str,
    password: str,
    at: datetime | None = None,
) -> LoggedIn:
    """Check the password; after MAX_FAILURES wrong ones in a row the account is locked for
    LOCKOUT. Every refusal says the same thing, so it tells an attacker nothing."""
    now = at or datetime.now(UTC)
    refused = LoginRefused("wrong e-mail or password, or the account is locked for a while")
    with uow:
        s = uow.session
        b = s.scalar(select(Business).where(Business.slug == tenant))
        if b is not None:
            act_for_now(s, b.id)  # the business's own staff rows (row-level security)
        user = (
            s.scalar(
                select(StaffUser)
                .where(StaffUser.tenant_id == b.id, StaffUser.email == email.strip().lower())
                .with_for_update()
            )
            if b is not None
            else None
        )
        ok = verify_password(user.password_hash if user else None, password)
        if user is None or b is None or not user.active:
            raise refused
        ctx = replace(
            context_of(b, user.id),
            actor=user.email,
            source="web",
            role=user.role,
            department_id=user.department_id,
        )
        locked = user.locked_until is not None and _aware(user.locked_until) > now
        if locked or not ok:
            if not locked:
                user.failed_logins = (user.failed_logins or 0) + 1
                if user.failed_logins >= MAX_FAILURES:
                    user.locked_until = now + LOCKOUT
                    user.failed_logins = 0
                    record_event(
                        s, ctx, action="user.locked", target_kind="staff_user", target_id=user.id
                    )
            record_event(s, ctx, action="login.failed", target_kind="staff_user", target_id=user.id)
            s.commit()  # the failure counts even though the login is refused
            raise refused
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        if user.password_hash and needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        record_event(s, ctx, action="login", target_kind="staff_user", target_id=user.id)
        return LoggedIn(
            ctx,
            user.id,
            user.email,
            user.role,
            permissions(user.role, frozenset(user.grants or [])),
        )


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)
