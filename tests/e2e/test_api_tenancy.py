"""One business's key never reads or changes another business's data: every resource answers
404 (not 403: it does not even confirm the thing exists), lists and searches come back empty."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from regulars.bootstrap import App
from regulars.services import users
from regulars.services.businesses import find_business
from regulars.services.context import BusinessContext
from tests.fixtures.api import new_api_key


def post(client: TestClient, path: str, body: dict[str, Any], key: str) -> Any:
    return client.post(
        path,
        json=body,
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex},
    )


def test_a_key_sees_only_its_business(
    app: App, ctx: BusinessContext, api_anonymous: TestClient
) -> None:
    mine = new_api_key(app, ctx, "shop A")
    other_ctx = find_business(app.uow(), slug=users.create_tenant(app.uow(), name="Shop B").slug)
    theirs = new_api_key(app, other_ctx, "shop B")
    c = api_anonymous
    lan = post(c, "/v1/customers", {"name": "Nguyễn Thị Lan", "phones": ["+84903123456"]}, mine)
    assert lan.status_code == 201
    cid = lan.json()["id"]
    order = post(
        c,
        "/v1/orders",
        {
            "customer": str(cid),
            "lines": [{"sku": "T", "quantity": 1, "unit_price": "9.00"}],
            "currency": "EUR",
        },
        mine,
    )
    assert order.status_code == 201
    oid = order.json()["id"]
    b = {"Authorization": f"Bearer {theirs}"}
    for method, path, body in (
        ("GET", f"/v1/customers/{cid}", None),
        ("PATCH", f"/v1/customers/{cid}", {"region": "x"}),
        ("GET", f"/v1/customers/{cid}/consents", None),
        ("GET", f"/v1/orders/{oid}", None),
    ):
        r = c.request(method, path, json=body, headers=b)
        assert r.status_code == 404, (method, path, r.text)
    for path, body in (
        (f"/v1/customers/{cid}/notes", {"body": "hello"}),
        (f"/v1/orders/{oid}/status", {"status": "paid"}),
        (
            "/v1/orders",
            {"customer": str(cid), "lines": [{"sku": "T", "quantity": 1, "unit_price": "1.00"}]},
        ),
    ):
        assert post(c, path, body, theirs).status_code == 404, path
    assert c.get("/v1/customers", headers=b).json()["items"] == []
    assert c.get("/v1/customers/search", params={"q": "0903123456"}, headers=b).json() == []
    assert c.get("/v1/orders", headers=b).json()["items"] == []
    # and A's data is untouched by B's attempts
    a = {"Authorization": f"Bearer {mine}"}
    assert c.get(f"/v1/customers/{cid}", headers=a).json()["region"] is None
    assert c.get(f"/v1/orders/{oid}", headers=a).json()["status"] == "placed"
