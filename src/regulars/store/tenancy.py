"""Which business the current request acts for, told to PostgreSQL so row-level security can
hold even when a query forgets its `WHERE tenant_id = …`.

The application sets the tenant once per request (`act_for`); every transaction on PostgreSQL
then starts with `set_config('regulars.tenant', …, true)` — local to the transaction, so a
pooled connection never carries one request's tenant into the next. The policies (see
`store/rls.py`) compare each row's tenant with it; connected as a role without the bypass (the
application role), no tenant means no rows.

Secrets presented before the tenant is known (an API key, a web session cookie) are resolved
by SECURITY DEFINER functions that return only the tenant of one matching hash.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

TENANT_SETTING = "regulars.tenant"
_SET_TENANT = text("SELECT set_config('regulars.tenant', :tenant, true)")

current_tenant: ContextVar[int | None] = ContextVar("regulars_tenant", default=None)


def act_for(tenant_id: int | None) -> None:
    """From now on (in this request's context) transactions act for this business."""
    current_tenant.set(tenant_id)


def act_for_now(session: Session, tenant_id: int) -> None:
    """Act for a business found inside an open transaction (a login, a key look-up): the
    rest of this transaction, and later ones in this context, see its rows."""
    act_for(tenant_id)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_SET_TENANT, {"tenant": str(tenant_id)})


def tell_postgres(engine: Engine) -> None:
    """Start every transaction of this engine by naming the current tenant (when one is set)."""

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        tenant = current_tenant.get()
        if tenant is not None:
            conn.execute(_SET_TENANT, {"tenant": str(tenant)})


# Cross-tenant look-ups by secret hash: functions on PostgreSQL (created by the row-level
# security migration), a plain query elsewhere.
_DEFINER = {"api_keys": "regulars_tenant_of_key", "web_sessions": "regulars_tenant_of_session"}


def tenant_of_secret(session: Session, table: Any, column: Any, digest: str) -> int | None:
    """The tenant owning the row whose `column` is `digest`, whoever is acting."""
    if session.get_bind().dialect.name == "postgresql":
        fn = _DEFINER[table.name]
        found = session.scalar(text(f"SELECT {fn}(:digest)"), {"digest": digest})
    else:
        found = session.scalar(select(table.c.tenant_id).where(column == digest))
    return int(found) if found is not None else None
