"""Engines for any SQLAlchemy URL; SQLite gets WAL and foreign keys, like a real database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from regulars.store.tenancy import tell_postgres

# Execution option asking SQLite for BEGIN IMMEDIATE (see UnitOfWork.locking()).
IMMEDIATE_OPTION = "regulars_begin_immediate"


def normalize_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` and use psycopg 3, the driver we ship."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _tune_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "postgresql":
        tell_postgres(engine)  # row-level security sees the acting business
    return engine


# Connections kept per API worker process, and allowed beyond them under a burst. SQLAlchemy's
# default (5 + 10) is below a worker's concurrent requests (its thread pool's 40), so under load
# connections beyond 5 were opened and closed all the time (~14 new backends a second at 250
# requests/s).
API_POOL_SIZE, API_POOL_OVERFLOW = 10, 20


def make_api_engine(url: str) -> Engine:
    """The API's engine: no ping round trip per checkout on a busy till (a dropped connection is
    recycled after an hour anyway, and one failed request is answered with a problem, not lost),
    and a pool sized for a busy worker."""
    if normalize_url(url).startswith("sqlite"):
        return make_engine(url)
    return make_engine(
        url,
        pool_pre_ping=False,
        pool_recycle=3600,
        pool_size=API_POOL_SIZE,
        max_overflow=API_POOL_OVERFLOW,
    )


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (needed for BEGIN IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A locking unit of work takes SQLite's write lock up front: debits re-check under it.
        immediate = conn.get_execution_options().get(IMMEDIATE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
