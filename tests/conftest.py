"""Test fixtures: every storage test runs on SQLite and on the real PostgreSQL server.

Without a reachable PostgreSQL the PostgreSQL variants skip with a one-line reason; with CI=true
they fail instead, because CI machines have the server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from regulars.bootstrap import App, make_app
from regulars.services.context import BusinessContext
from regulars.store.tables import Base

PG_ADMIN_URL = os.environ.get(
    "REGULARS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DATA = Path(__file__).parent / "data"

# Shared fixtures, one module per area (tests/fixtures/<area>.py).
pytest_plugins = [
    "tests.fixtures.api",
    "tests.fixtures.value",
    "tests.fixtures.analytics",
    "tests.fixtures.loyalty",
    "tests.fixtures.loyalty_offers",
    "tests.fixtures.mail",
    "tests.fixtures.webhooks",
]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _pg_unavailable() -> str | None:
    try:
        eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as e:  # any reason: report it in one line
        return (
            f"PostgreSQL not reachable at {make_url(PG_ADMIN_URL).host}: {str(e).splitlines()[0]}"
        )


@pytest.fixture(scope="session")
def pg_server() -> str:
    """Admin URL of the PostgreSQL server; skips (or fails in CI) when there is none."""
    reason = _pg_unavailable()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)
    return PG_ADMIN_URL


def create_pg_database(admin_url: str, name: str) -> str:
    """(Re)create an empty database and return its URL."""
    assert re.fullmatch(r"[a-z0-9_]+", name)
    eng = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(admin_url: str, name: str) -> None:
    eng = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


@pytest.fixture(scope="session")
def pg_migrated_url(pg_server: str, testrun_uid: str) -> Iterator[str]:
    """One migrated database per test run and xdist worker; tests empty it after use."""
    name = f"regulars_test_{testrun_uid[:8]}_{_worker()}".lower()
    url = create_pg_database(pg_server, name)
    app = make_app(url)
    app.upgrade_schema()
    app.close()
    yield url
    drop_pg_database(pg_server, name)


def pg_app_role(worker: str | None = None) -> str:
    """The application role of this xdist worker (roles are shared by the whole server)."""
    return f"regulars_app_test_{worker or _worker()}".lower()


def as_app_role(url: str) -> str:
    """A migrated PostgreSQL database's URL for an application role: not the tables' owner,
    so row-level security applies to everything done through it (granted on first use)."""
    from regulars.store.rls import grant_app_role

    role = pg_app_role()
    eng = create_engine(url)
    with eng.begin() as c:
        grant_app_role(c, role)
    eng.dispose()
    return make_url(url).set(username=role).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_app_url(pg_migrated_url: str) -> str:
    """The worker's database, connected as the application role."""
    return as_app_role(pg_migrated_url)


def served_url(request: pytest.FixtureRequest, url: str) -> str:
    """The URL the API and web server of a test connect with: on PostgreSQL the application
    role (row-level security on, as in production), on SQLite the file itself."""
    if make_url(url).get_backend_name() != "postgresql":
        return url
    if url == request.getfixturevalue("pg_migrated_url"):
        return str(request.getfixturevalue("pg_app_url"))
    return as_app_role(url)


def _truncate_all(url: str) -> None:
    eng = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with eng.begin() as c:
        c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    eng.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database URL: a SQLite file, or the worker's PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'regulars.db'}"
        app = make_app(url)
        app.upgrade_schema()
        app.close()
        yield url
    else:
        url = request.getfixturevalue("pg_migrated_url")
        try:
            yield url
        finally:
            _truncate_all(url)


@pytest.fixture
def app(db_url: str) -> Iterator[App]:
    a = make_app(db_url)
    yield a
    a.close()


@pytest.fixture
def ctx(app: App) -> BusinessContext:
    """The default business, with Vietnam as its phone region and VND as its currency."""
    from regulars.services.businesses import ensure_business

    return ensure_business(
        app.uow(),
        slug="default",
        default_region="VN",
        default_currency="VND",
        timezone="Asia/Ho_Chi_Minh",
    )
