"""API keys as use cases: an owner creates one with a role (and optionally the shop of a till),
lists them, revokes one. Each is audited; the key itself is shown once and never stored."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from regulars.domain.access import role_of
from regulars.domain.errors import NotFound, ValidationError
from regulars.services.audit import record_event
from regulars.services.businesses import context_of
from regulars.services.context import BusinessContext
from regulars.store.api_tables import (
    ApiKey,
    KeyView,
    NewApiKey,
    add_api_key,
    list_api_keys,
    revoke_api_key,
)
from regulars.store.tables import Business
from regulars.store.uow import UnitOfWork

KEY_ROLES = ("owner", "cashier", "analyst", "partner")  # a manager is a person: they sign in


def create_key(
    uow: UnitOfWork, *, ctx: BusinessContext, name: str, role: str, store: str | None = None
) -> NewApiKey:
    title = (name or "").strip()
    if not title or len(title) > 200:
        raise ValidationError("give the key a name of 1 to 200 characters", field="name")
    try:
        r = role_of(role.strip().lower())
    except ValueError as e:
        raise ValidationError(str(e), field="role") from None
    if r.value not in KEY_ROLES:
        raise ValidationError(
            f"a key cannot have the {r.value} role (a manager signs in as a person); "
            f"use one of {', '.join(KEY_ROLES)}",
            field="role",
        )
    where = (store or "").strip() or None
    with uow:
        new = add_api_key(
            uow.session, tenant_id=ctx.tenant_id, name=title, role=r.value, store=where
        )
        record_event(
            uow.session,
            ctx,
            action="apikey.create",
            target_kind="api_key",
            target_id=new.id,
            detail={"role": r.value, "store": where},
        )
        return new


def keys(uow: UnitOfWork, *, ctx: BusinessContext) -> list[KeyView]:
    with uow:
        return list_api_keys(uow.session, tenant_id=ctx.tenant_id)


def revoke_key(uow: UnitOfWork, *, key_id: int, ctx: BusinessContext | None = None) -> KeyView:
    """Revoke by id; without a business (the operator's CLI) the key's own business is used.
    A till caches a key for up to 30 seconds, so a revoked key stops within that."""
    with uow:
        s = uow.session
        tenant = (
            ctx.tenant_id if ctx else s.scalar(select(ApiKey.tenant_id).where(ApiKey.id == key_id))
        )
        if tenant is None:
            raise NotFound(f"no API key {key_id}")
        view = revoke_api_key(s, tenant_id=tenant, key_id=key_id)
        if view is None:
            raise NotFound(f"no API key {key_id}")
        acting = ctx or replace(context_of(s.get_one(Business, tenant)))
        record_event(s, acting, action="apikey.revoke", target_kind="api_key", target_id=key_id)
        return view
