"""Every role against the API's routes: allowed ones succeed, the others get 403 (issue 6)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from regulars.bootstrap import App
from regulars.services.context import BusinessContext
from regulars.services.customers import enroll_customer
from tests.fixtures.api import new_api_key, served_app

ROLES = ("owner", "cashier", "analyst", "partner")
CARD = "0000000000000000"  # a well-formed number no card has
# (method, path, body) → the roles that may call it
ROUTES: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
    ("GET", "/v1/customers", None, {"owner"}),
    ("GET", "/v1/customers/search?q=Lan", None, {"owner"}),
    ("GET", "/v1/customers/{cid}", None, {"owner"}),
    ("POST", "/v1/customers", {"name": "New Person"}, {"owner"}),
    ("PATCH", "/v1/customers/{cid}", {"region": "Huế"}, {"owner"}),
    ("GET", "/v1/customers/export?reason=audit", None, {"owner"}),
    ("GET", "/v1/orders", None, {"owner"}),
    ("GET", "/v1/products", None, {"owner"}),
    ("GET", "/v1/analytics/summary", None, {"owner", "analyst"}),
    ("GET", "/v1/analytics/dependency", None, {"owner", "analyst"}),
    ("GET", "/v1/analytics/lapsed", None, {"owner"}),
    ("GET", "/v1/cards/0000000000000000", None, {"owner", "cashier", "partner"}),
    (
        "POST",
        "/v1/pos/quote",
        {"card": "0000000000000000", "lines": []},
        {"owner", "cashier", "partner"},
    ),
    ("GET", "/v1/cards?phone=0903123456", None, {"owner", "cashier", "partner"}),
    ("POST", "/v1/cards", {"program": "NOPE", "bearer": True}, {"owner", "cashier", "partner"}),
    ("GET", f"/v1/cards/{CARD}/history", None, {"owner", "cashier", "partner"}),
    ("GET", f"/v1/cards/{CARD}/expiring", None, {"owner", "cashier", "partner"}),
    ("POST", f"/v1/cards/{CARD}/block", None, {"owner"}),
    ("POST", f"/v1/cards/{CARD}/replace", None, {"owner"}),
    ("GET", "/v1/loyalty/programs", None, {"owner"}),
    ("POST", "/v1/loyalty/programs", {"code": "CLUB", "currency": "EUR"}, {"owner"}),
    ("GET", "/v1/loyalty/programs/CLUB", None, {"owner"}),
    ("POST", "/v1/loyalty/programs/CLUB/members", {"business": "sportshop"}, {"owner"}),
    ("POST", "/v1/loyalty/vouchers", {"program": "CLUB", "value": "5"}, {"owner"}),
    ("GET", "/v1/loyalty/vouchers/ABCD", None, {"owner", "cashier", "partner"}),
    (
        "POST",
        "/v1/loyalty/vouchers/ABCD/redeem",
        {"order": "A-1", "order_total": "10", "card": CARD},
        {"owner", "cashier", "partner"},
    ),
    ("GET", "/v1/loyalty/verify", None, {"owner"}),
    ("GET", "/v1/customers/{cid}/export", None, {"owner"}),
    ("POST", "/v1/customers/{cid}/erase", {"reason": "asked"}, {"owner"}),  # last: it erases
]


@pytest.fixture
def keys(app: App, ctx: BusinessContext) -> dict[str, str]:
    return {role: new_api_key(app, ctx, role, role=role) for role in ROLES}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_routes(
    role: str, keys: dict[str, str], app: App, ctx: BusinessContext, api_anonymous: TestClient
) -> None:
    cid = enroll_customer(app.uow(), ctx=ctx, name="Nguyễn Thị Lan").id
    headers = {"Authorization": f"Bearer {keys[role]}", "Idempotency-Key": uuid.uuid4().hex}
    assert api_anonymous.get("/v1/whoami", headers=headers).json()["role"] == role
    for method, path, body, allowed in ROUTES:
        r = api_anonymous.request(method, path.format(cid=cid), json=body, headers=headers)
        if role in allowed:
            assert r.status_code not in (401, 403, 500), (role, method, path, r.text)
        else:
            assert r.status_code == 403, (role, method, path, r.text)
            assert r.json()["code"] == "forbidden"


def test_a_revoked_key_stops_and_use_is_recorded(
    request: pytest.FixtureRequest, app: App, ctx: BusinessContext
) -> None:
    from regulars.services.api_keys import create_key, revoke_key
    from regulars.services.api_keys import keys as list_keys

    new = create_key(app.uow(), ctx=ctx, name="till 2", role="cashier", store="Da Nang")
    api = served_app(request, app)
    with TestClient(api) as c:
        h = {"Authorization": f"Bearer {new.key}"}
        assert c.get("/v1/whoami", headers=h).json() == {"business": ctx.slug, "role": "cashier"}
        [view] = [k for k in list_keys(app.uow(), ctx=ctx) if k.id == new.id]
        assert view.last_used_at is not None and view.store == "Da Nang"
        revoke_key(app.uow(), key_id=new.id)
        api.state.key_cache = type(api.state.key_cache)()  # what 30 seconds do to the cache
        assert c.get("/v1/whoami", headers=h).status_code == 401


def test_a_key_cannot_be_a_manager(app: App, ctx: BusinessContext) -> None:
    from regulars.domain.errors import ValidationError
    from regulars.services.api_keys import create_key

    with pytest.raises(ValidationError, match="cannot have the manager role"):
        create_key(app.uow(), ctx=ctx, name="x", role="manager")
