"""`regulars db grant-app-role`: the operator's one step to run the servers under row-level
security, and what a script connected as that role then sees."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import pg_app_role
from tests.e2e.cli import run_cli, run_json


def test_grant_app_role_then_each_business_sees_only_its_customers(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if make_url(db_url).get_backend_name() != "postgresql":
        res = run_cli("db", "grant-app-role", "regulars_app", db_url=db_url)
        assert res.returncode == 1 and "need PostgreSQL" in res.stderr
        return
    role = pg_app_role()
    assert run_json("db", "grant-app-role", role, db_url=db_url) == {
        "role": role,
        "row_level_security": True,
    }
    bad = run_cli("db", "grant-app-role", "Robert'); DROP TABLE customers;--", db_url=db_url)
    assert bad.returncode == 1 and "role name" in bad.stderr
    run_json("customers", "add", "Lê Thị Hoa", db_url=db_url)
    run_json("admin", "tenant", "create", "Gym Aino", db_url=db_url)
    monkeypatch.setenv("REGULARS_BUSINESS", "gym-aino")
    run_json("customers", "add", "Aino Virtanen", db_url=db_url)

    as_app = make_url(db_url).set(username=role).render_as_string(hide_password=False)
    names = [c["display_name"] for c in run_json("customers", "list", db_url=as_app)]
    assert names == ["Aino Virtanen"]
    monkeypatch.setenv("REGULARS_BUSINESS", "default")
    names = [c["display_name"] for c in run_json("customers", "list", db_url=as_app)]
    assert names == ["Lê Thị Hoa"]
