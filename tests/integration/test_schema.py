"""The migrations build exactly the schema the code describes, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from regulars.bootstrap import App
from regulars.store import migrate
from regulars.store.tables import Base


def test_migrations_match_the_tables(app: App) -> None:
    with app.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], "store/tables.py and the migrations disagree: run `make migration`"


def test_upgrade_is_idempotent(app: App) -> None:
    app.upgrade_schema()
    app.upgrade_schema()
    assert migrate.is_up_to_date(app.engine)
