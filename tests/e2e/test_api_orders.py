"""`/v1/orders…` and `/v1/products` end to end through the HTTP API."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient


def post(client: TestClient, path: str, body: dict[str, Any], key: str | None = None) -> Any:
    return client.post(path, json=body, headers={"Idempotency-Key": key or str(uuid.uuid4())})


def customer(client: TestClient, name: str = "Somchai Jaidee") -> int:
    r = post(client, "/v1/customers", {"name": name, "external_id": "POS-1", "language": "th"})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_an_order_through_its_lifecycle(api_client: TestClient) -> None:
    customer(api_client)
    body = {
        "customer": "ext:POS-1",
        "lines": [
            {
                "sku": "COF-1",
                "quantity": 2,
                "unit_price": "45000",
                "name": "Cà phê",
                "category": "Coffee",
            },
            {"sku": "CAKE", "quantity": "0.5", "unit_price": "80000"},
        ],
        "currency": "VND",
        "placed_at": "2026-11-20T09:30:00+07:00",
        "external_id": "R-1001",
    }
    r = post(api_client, "/v1/orders", body)
    assert r.status_code == 201, r.text
    o = r.json()
    assert (o["total"], o["currency"], o["status"]) == ("130000", "VND", "placed")
    moved = post(
        api_client,
        "/v1/orders/R-1001/status",
        {"status": "shipped", "location": "Da Nang hub", "note": "on the truck"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["location"] == "Da Nang hub"
    back = post(api_client, "/v1/orders/R-1001/status", {"status": "placed"})
    assert back.status_code == 409 and back.json()["code"] == "invalid_transition"
    shown = api_client.get(f"/v1/orders/{o['id']}").json()
    assert [h["to_status"] for h in shown["history"]] == ["placed", "shipped"]
    skus = [p["sku"] for p in api_client.get("/v1/products").json()]
    assert {"COF-1", "CAKE"} <= set(skus)


def test_order_pages_newest_first(api_client: TestClient) -> None:
    customer(api_client)
    ids = []
    for day in range(1, 6):
        body = {
            "customer": "ext:POS-1",
            "lines": [{"sku": "TEA", "quantity": 1, "unit_price": "10.00"}],
            "currency": "EUR",
            "placed_at": f"2026-11-0{day}T10:00:00Z",
        }
        ids.append(post(api_client, "/v1/orders", body).json()["id"])
    seen, cursor = [], None
    while True:
        page = api_client.get(
            "/v1/orders", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        ).json()
        seen += [o["id"] for o in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == ids[::-1]


def test_bad_orders_are_4xx(api_client: TestClient) -> None:
    customer(api_client)
    line = {"sku": "X", "quantity": 1, "unit_price": "1.00"}
    cases = [
        ({"customer": "ext:POS-1", "lines": []}, 422),
        ({"customer": "ext:POS-1", "lines": [{**line, "unit_price": 1.5}]}, 422),
        ({"customer": "ext:POS-1", "lines": [{**line, "quantity": "-1"}]}, 422),
        ({"customer": "ext:NOPE", "lines": [line]}, 404),
        ({"customer": "ext:POS-1", "lines": [line], "currency": "XXX1"}, 422),
        ({"customer": "ext:POS-1", "lines": [{**line, "unit_price": "1" + "0" * 40}]}, 422),
    ]
    for body, status in cases:
        r = post(api_client, "/v1/orders", body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


def test_absurd_quantities_are_refused(api_client: TestClient) -> None:
    customer(api_client)
    line = {"sku": "X", "quantity": 10**25, "unit_price": "1.00"}
    r = post(api_client, "/v1/orders", {"customer": "ext:POS-1", "lines": [line]})
    assert r.status_code == 422 and "quantity" in r.json()["detail"]
