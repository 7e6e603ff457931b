"""`/v1/customers…` end to end through the HTTP API (TestClient), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from regulars.bootstrap import App
from regulars.services.context import BusinessContext
from regulars.store.replay_tables import StoredResponse
from tests.e2e.cli import run_json
from tests.fixtures.api import new_api_key


def post(client: TestClient, path: str, body: dict[str, Any], key: str | None = None) -> Any:
    return client.post(path, json=body, headers={"Idempotency-Key": key or str(uuid.uuid4())})


LAN = {
    "name": "Nguyễn Thị Lan",
    "language": "vi",
    "phones": ["0903 123 456"],
    "emails": ["lan@example.vn"],
    "tags": ["coffee"],
    "addresses": [{"line1": "12 Lý Thái Tổ", "city": "Hà Nội", "country": "VN"}],
}


def test_create_show_and_find_a_customer(api_client: TestClient) -> None:
    r = post(api_client, "/v1/customers", LAN)
    assert r.status_code == 201, r.text
    d = r.json()
    assert (d["family_name"], d["given_name"]) == ("Nguyễn", "Lan")
    assert d["phones"][0]["e164"].startswith("+") and r.headers["ETag"]
    shown = api_client.get(f"/v1/customers/{d['id']}")
    assert shown.status_code == 200 and shown.json()["display_name"] == d["display_name"]
    assert shown.headers["ETag"] == r.headers["ETag"]
    hits = api_client.get("/v1/customers/search", params={"q": "0903123456"}).json()
    assert [(h["customer"]["id"], h["matched"]) for h in hits] == [(d["id"], "phone")]


def test_a_retried_create_returns_the_first_answer(api_client: TestClient) -> None:
    key = str(uuid.uuid4())
    first = post(api_client, "/v1/customers", LAN, key)
    again = post(api_client, "/v1/customers", LAN, key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = post(api_client, "/v1/customers", {**LAN, "name": "Trần Văn Hùng"}, key)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
    page = api_client.get("/v1/customers").json()
    assert len(page["items"]) == 1  # one customer, not two


def test_a_refused_create_releases_its_key(api_client: TestClient) -> None:
    key = str(uuid.uuid4())
    bad = post(api_client, "/v1/customers", {**LAN, "phones": ["12"]}, key)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_phone"
    ok = post(api_client, "/v1/customers", LAN, key)
    assert ok.status_code == 201


def test_a_lost_update_is_refused_with_412(api_client: TestClient) -> None:
    d = post(api_client, "/v1/customers", LAN)
    cid, etag = d.json()["id"], d.headers["ETag"]
    first = api_client.patch(
        f"/v1/customers/{cid}", json={"region": "Hà Nội"}, headers={"If-Match": etag}
    )
    assert first.status_code == 200 and first.json()["region"] == "Hà Nội"
    assert first.headers["ETag"] != etag
    stale = api_client.patch(
        f"/v1/customers/{cid}", json={"region": "Huế"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    assert api_client.get(f"/v1/customers/{cid}").json()["region"] == "Hà Nội"
    cleared = api_client.patch(f"/v1/customers/{cid}", json={"region": None, "add_tags": ["tea"]})
    assert cleared.json()["region"] is None and cleared.json()["tags"] == ["coffee", "tea"]


def test_pages_follow_the_cursor(api_client: TestClient) -> None:
    ids = [
        post(api_client, "/v1/customers", {"name": f"Customer {i}"}).json()["id"] for i in range(5)
    ]
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api_client.get("/v1/customers", params=params).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    bad = api_client.get("/v1/customers", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"


def test_notes_contacts_and_consents(api_client: TestClient) -> None:
    co = post(api_client, "/v1/customers", {"kind": "company", "name": "Sol Foods S.L."}).json()
    n = post(
        api_client, f"/v1/customers/{co['id']}/notes", {"body": "Wants samples", "kind": "feedback"}
    )
    assert n.status_code == 201 and n.json()["kind"] == "feedback"
    c = post(
        api_client,
        f"/v1/customers/{co['id']}/contacts",
        {"name": "Ana García López", "level": "owner", "stance": "supporter"},
    )
    assert c.status_code == 201, c.text
    g = post(
        api_client,
        f"/v1/customers/{co['id']}/consents",
        {"channel": "email", "purpose": "marketing", "granted": True, "source": "trade fair"},
    )
    assert g.status_code == 201, g.text
    history = api_client.get(f"/v1/customers/{co['id']}/consents").json()
    assert [(h["channel"], h["granted"]) for h in history] == [("email", True)]
    shown = api_client.get("/v1/customers/ext:missing")
    assert shown.status_code == 404 and shown.json()["code"] == "not_found"


def test_bad_bodies_are_4xx_never_500(api_client: TestClient) -> None:
    cases: list[tuple[Any, int]] = [
        ({"name": "x", "nmae": "typo"}, 422),
        ({"name": 5}, 422),
        ({"name": "x" * 201}, 422),
        ({"name": "x", "birthday": "31/12/1990"}, 422),
        ({"kind": "robot", "name": "x"}, 422),
        ({"name": "'; DROP TABLE customers; --"}, 201),
        ({"name": "<script>alert(1)</script>"}, 201),
        ({"name": "คุณสมชาย 🙂 שלום", "language": "th"}, 201),
    ]
    for body, status in cases:
        r = post(api_client, "/v1/customers", body)
        assert r.status_code == status, (body, r.text)
        if status == 201:  # stored and returned unchanged
            assert r.json()["display_name"] == body["name"]
    raw = api_client.post(
        "/v1/customers",
        content=b"{not json",
        headers={"Idempotency-Key": "k1", "Content-Type": "application/json"},
    )
    assert raw.status_code == 400 and raw.json()["code"] == "malformed_json"


def test_nul_characters_are_bad_input(api_client: TestClient) -> None:
    r = post(api_client, "/v1/customers", {"name": "Lan\x00"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_text"
    q = api_client.get("/v1/customers/search", params={"q": "\x00"})
    assert q.status_code == 422 and q.json()["code"] == "invalid_text"
    big = post(api_client, "/v1/customers", {"name": "x"})
    cid = big.json()["id"]
    assert api_client.get("/v1/customers/¹").status_code == 404  # not a digit to int()
    assert api_client.get(f"/v1/customers/{'9' * 30}").status_code == 404
    assert api_client.get(f"/v1/customers/{cid}").status_code == 200


def test_bulk_export_is_csv_and_audited(api_client: TestClient, app: Any, ctx: Any) -> None:
    import csv
    import io

    from regulars.services.audit import audit_events

    post(api_client, "/v1/customers", LAN)
    post(api_client, "/v1/customers", {"name": "Ana García López", "emails": ["ana@sol.es"]})
    assert api_client.get("/v1/customers/export").status_code == 422  # a reason is required
    r = api_client.get("/v1/customers/export", params={"reason": "moving to a new CRM"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [x["display_name"] for x in rows] == ["Nguyễn Thị Lan", "Ana García López"]
    assert rows[0]["phones"].startswith("+84") and rows[1]["emails"] == "ana@sol.es"
    [event] = audit_events(app.uow(), ctx=ctx, action="customers.bulk_export")
    assert event.detail == {"customers": 2, "reason": "moving to a new CRM"}


def test_export_and_erase_one_customer(api_client: TestClient, app: Any) -> None:
    from sqlalchemy import func, select

    from regulars.store.tables import Order

    d = post(api_client, "/v1/customers", LAN).json()
    order = {
        "customer": str(d["id"]),
        "lines": [{"sku": "COF", "quantity": 1, "unit_price": "45000"}],
        "currency": "VND",
    }
    assert post(api_client, "/v1/orders", order).status_code == 201
    exported = api_client.get(f"/v1/customers/{d['id']}/export")
    assert exported.status_code == 200
    assert exported.json()["customer"]["phones"][0]["number"] == d["phones"][0]["e164"]
    r = api_client.post(f"/v1/customers/{d['id']}/erase", json={"reason": "asked by phone"})
    assert r.status_code == 200 and r.json()["already_erased"] is False
    again = api_client.post(f"/v1/customers/{d['id']}/erase", json={})
    assert again.json()["already_erased"] is True
    shown = api_client.get(f"/v1/customers/{d['id']}").json()
    assert "Lan" not in shown["display_name"] and shown["phones"] == []
    with app.engine.connect() as c:  # the order stays
        assert c.scalar(select(func.count()).select_from(Order)) == 1


def test_a_key_older_than_a_day_is_new_again_and_pruned(api_client: TestClient, app: App) -> None:
    key = str(uuid.uuid4())
    assert post(api_client, "/v1/customers", LAN, key).status_code == 201
    with app.uow() as uow:  # the stored answer (it holds personal data) ages past 24 hours
        uow.session.execute(
            update(StoredResponse).values(created_at=datetime.now(UTC) - timedelta(hours=25))
        )
    again = post(api_client, "/v1/customers", {**LAN, "name": "Trần Văn Hùng"}, key)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert len(api_client.get("/v1/customers").json()["items"]) == 2
    with app.uow() as uow:
        uow.session.execute(
            update(StoredResponse).values(created_at=datetime.now(UTC) - timedelta(hours=25))
        )
    assert run_json("admin", "prune", db_url=app.settings.database_url) == {
        "idempotent_answers": 1,
        "web_sessions": 0,
    }
    with app.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(StoredResponse)) == 0


def test_a_key_reused_by_another_caller_is_a_conflict_not_a_replay(
    api_client: TestClient, app: App, ctx: BusinessContext
) -> None:
    key = str(uuid.uuid4())
    assert post(api_client, "/v1/customers", LAN, key).status_code == 201
    manager = new_api_key(app, ctx, "front desk", role="manager")
    res = api_client.post(
        "/v1/customers",
        json=LAN,
        headers={"Idempotency-Key": key, "Authorization": f"Bearer {manager}"},
    )
    assert res.status_code == 409 and res.json()["code"] == "idempotency_conflict"
