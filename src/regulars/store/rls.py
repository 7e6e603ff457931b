"""Row-level security on PostgreSQL: the database itself keeps each business to its own rows.

The application connects as a role that does not own the tables (see `grant_app_role`); for
it, every table with a `tenant_id` shows and accepts only rows of the tenant named by
`store/tenancy.py` for the transaction. The owner (migrations, the operator's CLI) is not
subject to the policies. Coalitions are the one sanctioned crossing: a member business also
sees the loyalty rows (programs, cards, ledger) kept by the owners of the programs it belongs
to — loyalty rows only, never their customers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Connection, MetaData, text

TENANT_FN = "regulars_tenant"
POLICY = "regulars_tenant_isolation"
# Written only by the owner; the application may read and append (the audit log is evidence).
APPEND_ONLY = frozenset({"audit_log"})
READ_ONLY = frozenset({"alembic_version"})

_FUNCTIONS = [
    # The acting tenant, NULL when none is set (then no row matches).
    f"""
    CREATE OR REPLACE FUNCTION {TENANT_FN}() RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('regulars.tenant', true), '')::integer $$
    """,
    # Secrets presented before the tenant is known: only the tenant of one exact hash.
    """
    CREATE OR REPLACE FUNCTION regulars_tenant_of_key(digest text) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$ SELECT tenant_id FROM api_keys WHERE key_hash = digest $$
    """,
    """
    CREATE OR REPLACE FUNCTION regulars_tenant_of_session(digest text) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$ SELECT tenant_id FROM web_sessions WHERE token_hash = digest $$
    """,
]

_OWN = f"(tenant_id = {TENANT_FN}())"
# Loyalty rows of the programs' owners the current business is a coalition member of.
_COALITION = (
    f"({_OWN} OR tenant_id IN (SELECT m.tenant_id FROM loyalty_members m "
    f"WHERE m.business_id = {TENANT_FN}()))"
)
_POLICIES: dict[str, str] = {
    # A member sees its memberships (and through them its coalitions' loyalty rows).
    "loyalty_members": f"({_OWN} OR business_id = {TENANT_FN}())",
}


def tenant_tables(metadata: MetaData) -> list[str]:
    return sorted(t.name for t in metadata.tables.values() if "tenant_id" in t.c)


def _condition(table: str) -> str:
    if table in _POLICIES:
        return _POLICIES[table]
    return _COALITION if table.startswith("loyalty_") else _OWN


def enable(conn: Connection, tables: Iterable[str]) -> None:
    """Create the functions and one policy per tenant table (idempotent)."""
    for sql in _FUNCTIONS:
        conn.execute(text(sql))
    for table in tables:
        cond = _condition(table)
        conn.execute(text(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY'))
        conn.execute(text(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"'))
        conn.execute(text(f'CREATE POLICY {POLICY} ON "{table}" USING {cond} WITH CHECK {cond}'))
    # Business rows hold names and settings, no customer data: readable by all (a login names
    # its business; coalition members are shown by name); changed only by their own business.
    conn.execute(text("ALTER TABLE businesses ENABLE ROW LEVEL SECURITY"))
    for name, rule in (
        ("regulars_business_read", "FOR SELECT USING (true)"),
        ("regulars_business_own", f"FOR UPDATE USING (id = {TENANT_FN}())"),
    ):
        conn.execute(text(f"DROP POLICY IF EXISTS {name} ON businesses"))
        conn.execute(text(f"CREATE POLICY {name} ON businesses {rule}"))


def disable(conn: Connection, tables: Iterable[str]) -> None:
    for table in [*tables, "businesses"]:
        conn.execute(text(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY'))
    conn.execute(text("DROP POLICY IF EXISTS regulars_business_read ON businesses"))
    conn.execute(text("DROP POLICY IF EXISTS regulars_business_own ON businesses"))
    for table in tables:
        conn.execute(text(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"'))
    for fn in ("regulars_tenant_of_key(text)", "regulars_tenant_of_session(text)"):
        conn.execute(text(f"DROP FUNCTION IF EXISTS {fn}"))
    conn.execute(text(f"DROP FUNCTION IF EXISTS {TENANT_FN}()"))


def grant_app_role(conn: Connection, role: str, *, login: bool = True) -> None:
    """Create (if missing) the role the API and web server connect as, and give it what the
    application needs: rows through the policies, no ownership, no bypass, the audit log
    append-only. Safe to run again after every migration."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ValueError(f"role name {role!r}: use lower-case letters, digits and _")
    exists = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
    if not exists:
        conn.execute(text(f"CREATE ROLE {role} {'LOGIN' if login else 'NOLOGIN'}"))
    conn.execute(text(f"ALTER ROLE {role} NOSUPERUSER NOBYPASSRLS"))
    conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
    conn.execute(
        text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    )
    for table in sorted(APPEND_ONLY | READ_ONLY):
        conn.execute(text(f'REVOKE UPDATE, DELETE ON "{table}" FROM {role}'))
    for table in sorted(READ_ONLY):
        conn.execute(text(f'REVOKE INSERT ON "{table}" FROM {role}'))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
