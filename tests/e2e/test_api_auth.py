"""API keys: created once on the command line, stored hashed, and the only way into the API."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.bootstrap import App
from regulars.services.businesses import ensure_business
from regulars.services.context import BusinessContext
from regulars.store.api_tables import ApiKey
from tests.e2e.cli import run_cli, run_json
from tests.fixtures.api import new_api_key, served_app

PROBLEM = "application/problem+json"


def _assert_problem(res: object, status: int, code: str) -> dict[str, object]:
    assert res.status_code == status, res.text  # type: ignore[attr-defined]
    assert res.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]
    body: dict[str, object] = res.json()  # type: ignore[attr-defined]
    assert body["code"] == code and body["status"] == status
    assert body["type"] == f"urn:regulars:problem:{code}"
    assert body["title"] and body["detail"]
    return body


def test_cli_creates_a_key_shown_once_and_stored_hashed(db_url: str, app: App) -> None:
    made = run_json("api-key", "create", "--name", "till 1", db_url=db_url)
    assert made["name"] == "till 1" and made["business"] == "default"
    key = made["key"]
    assert key.startswith("rk_") and len(key) > 40
    with app.uow() as uow:
        rows = uow.session.scalars(select(ApiKey)).all()
    assert [r.key_hash for r in rows] == [hashlib.sha256(key.encode()).hexdigest()]
    assert key not in {r.hint for r in rows}  # only a short hint is kept in clear

    human = run_cli("api-key", "create", db_url=db_url)
    assert human.returncode == 0 and "not shown again" in human.stdout
    blank = run_cli("api-key", "create", "--name", "  ", db_url=db_url)
    assert blank.returncode == 2


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer rk_not-a-real-key"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"X-API-Key": "wrong"},
    ],
    ids=["none", "unknown-bearer", "basic", "unknown-x-api-key"],
)
def test_missing_or_wrong_key_is_401_problem(
    api_anonymous: TestClient, api_key: str, headers: dict[str, str]
) -> None:
    res = api_anonymous.get("/v1/whoami", headers=headers)
    _assert_problem(res, 401, "unauthorized")
    assert res.headers["www-authenticate"].startswith("Bearer")


def test_both_header_forms_are_accepted(api_anonymous: TestClient, api_key: str) -> None:
    for headers in ({"Authorization": f"Bearer {api_key}"}, {"X-API-Key": api_key}):
        res = api_anonymous.get("/v1/whoami", headers=headers)
        assert res.status_code == 200 and res.json() == {"business": "default", "role": "owner"}


def test_key_selects_its_own_business(
    request: pytest.FixtureRequest, app: App, ctx: BusinessContext
) -> None:
    other = ensure_business(app.uow(), slug="partner", default_currency="EUR")
    key = new_api_key(app, other)
    with TestClient(served_app(request, app)) as api_client:
        res = api_client.get("/v1/whoami", headers={"X-API-Key": key})
    assert res.status_code == 200
    assert res.json() == {"business": "partner", "role": "owner"}


def test_health_needs_no_key_and_unknown_routes_are_problems(api_anonymous: TestClient) -> None:
    assert api_anonymous.get("/v1/health").json() == {"status": "ok"}
    _assert_problem(api_anonymous.get("/v1/nowhere"), 404, "not_found")
    _assert_problem(api_anonymous.delete("/v1/health"), 405, "method_not_allowed")
