"""Loyalty resources over HTTP: programs, members, cards, vouchers and the ledger check, with
what each role sees and tenant isolation, on SQLite and PostgreSQL.

One app per database for the whole module (building one costs more than most tests here);
every test makes its own program and cards, so none depends on another's data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from regulars.api.paging import id_cursor
from regulars.bootstrap import App, make_app
from regulars.services import loyalty as svc
from regulars.services import users
from regulars.services.businesses import ensure_business, find_business
from regulars.services.context import BusinessContext
from regulars.services.customers import enroll_customer
from tests.conftest import _truncate_all
from tests.fixtures.api import new_api_key, served_app

PROBLEM = "application/problem+json"
ROLES = ("owner", "cashier", "analyst", "partner")


@dataclass
class Env:
    app: App
    ctx: BusinessContext
    client: TestClient
    keys: dict[str, str]  # role → key of the main business
    other: str  # an owner key of another business (tenant B)
    partner_ctx: BusinessContext
    partner: str  # an owner key of a coalition partner business


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('loyalty_api') / 'regulars.db'}"
        fresh = make_app(url)
        fresh.upgrade_schema()
        fresh.close()
    else:
        url = request.getfixturevalue("pg_migrated_url")
    app = make_app(url)
    try:
        ctx = ensure_business(
            app.uow(), slug="default", default_region="VN", default_currency="VND",
            timezone="Asia/Ho_Chi_Minh",
        )  # fmt: skip
        keys = {role: new_api_key(app, ctx, role, role=role) for role in ROLES}
        other_ctx = find_business(
            app.uow(), slug=users.create_tenant(app.uow(), name="Shop B").slug
        )
        partner_ctx = ensure_business(app.uow(), slug="sportshop", default_currency="EUR")
        with TestClient(served_app(request, app), raise_server_exceptions=True) as client:
            yield Env(
                app, ctx, client, keys, new_api_key(app, other_ctx, "b"), partner_ctx,
                new_api_key(app, partner_ctx, "p"),
            )  # fmt: skip
    finally:
        app.close()
        if request.param == "postgresql":
            _truncate_all(url)


def call(env: Env, method: str, path: str, key: str, body: Any = None, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": kw.pop("idem", None)}
    headers["Idempotency-Key"] = headers["Idempotency-Key"] or uuid.uuid4().hex
    return env.client.request(method, path, json=body, headers=headers, **kw)


def problem(res: Any, status: int, code: str) -> None:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith(PROBLEM)
    assert res.json()["code"] == code, res.json()


def new_program(env: Env, **extra: Any) -> str:
    code = f"P{uuid.uuid4().hex[:8]}"
    body = {"code": code, "currency": "EUR", "cashback_percent": "5", **extra}
    res = call(env, "POST", "/v1/loyalty/programs", env.keys["owner"], body)
    assert res.status_code == 201, res.text
    return code


def funded_card(env: Env, program: str, customer: str | None = None) -> str:
    """A card holding 5.00 EUR (5 % of a 100.00 purchase), accrued through the POS route."""
    body = {"program": program, **({"customer": customer} if customer else {"bearer": True})}
    number: str = call(env, "POST", "/v1/cards", env.keys["cashier"], body).json()["number"]
    accrue = {"card": number, "order": f"O-{number}", "amount": "100.00", "currency": "EUR"}
    assert call(env, "POST", "/v1/pos/accrue", env.keys["cashier"], accrue).status_code == 200
    return number


def test_programs_are_created_once_listed_shown_and_joined(env: Env) -> None:
    owner = env.keys["owner"]
    body = {
        "code": "CLUB",
        "currency": "eur",
        "cashback_percent": "5",
        "welcome_bonus": "2.50",
        "tiers": [
            {"code": "basic", "threshold": "0"},
            {"code": "gold", "threshold": "1000", "discount_percent": "5"},
        ],
        "expiry_months": None,
    }
    key = uuid.uuid4().hex
    first = call(env, "POST", "/v1/loyalty/programs", owner, body, idem=key)
    assert first.status_code == 201, first.text
    p = first.json()
    assert (p["code"], p["currency"], p["unit"], p["owner"]) == ("CLUB", "EUR", "EUR", "default")
    assert p["tiers"] == ["basic:0:0", "gold:1000:5"] and p["expiry_months"] is None
    again = call(env, "POST", "/v1/loyalty/programs", owner, body, idem=key)
    assert again.json() == p and again.headers["Idempotent-Replayed"] == "true"
    problem(call(env, "POST", "/v1/loyalty/programs", owner, body), 409, "program_exists")

    assert "CLUB" in [x["code"] for x in call(env, "GET", "/v1/loyalty/programs", owner).json()]
    assert call(env, "GET", "/v1/loyalty/programs/CLUB", owner).json() == p

    joined = call(
        env, "POST", "/v1/loyalty/programs/CLUB/members", owner, {"business": "sportshop"}
    )
    assert joined.status_code == 201, joined.text
    assert (joined.json()["business"], joined.json()["role"]) == ("sportshop", "partner")
    shown = call(env, "GET", "/v1/loyalty/programs/CLUB", owner).json()
    assert shown["members"] == ["default", "sportshop"]
    # a tenant never creates another tenant through the API
    problem(
        call(env, "POST", "/v1/loyalty/programs/CLUB/members", owner, {"business": "nobody"}),
        404,
        "not_found",
    )
    # the partner sees the coalition's program, but may not admit members to it
    assert call(env, "GET", "/v1/loyalty/programs/CLUB", env.partner).status_code == 200
    problem(
        call(env, "POST", "/v1/loyalty/programs/CLUB/members", env.partner, {"business": "x"}),
        409,
        "not_program_owner",
    )
    # another business does not even learn that it exists
    problem(call(env, "GET", "/v1/loyalty/programs/CLUB", env.other), 404, "unknown_program")
    problem(
        call(env, "POST", "/v1/loyalty/programs/CLUB/members", env.other, {"business": "y"}),
        404,
        "unknown_program",
    )
    assert call(env, "GET", "/v1/loyalty/programs", env.other).json() == []


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"cashback_percent": 5}, 422, "invalid_amount"),  # a JSON number
        ({"cashback_percent": "150"}, 422, "invalid_percent"),
        ({"cashback_percent": "1e3"}, 422, "invalid"),
        ({"currency": "XYZ"}, 422, "invalid_money"),
        ({"code": "9lives"}, 422, "invalid_program"),
        ({"tiers": [{"code": "gold", "threshold": "10"}]}, 422, "invalid_tiers"),
        ({"welcome_bonus": "0.001"}, 422, "invalid_program"),
        ({"kind": "points", "points_per_unit": "1", "point_value": "0"}, 422, "invalid_program"),
        ({"ammount": "1"}, 422, "invalid"),
    ],
)
def test_a_bad_program_is_refused_and_its_key_released(
    env: Env, change: dict[str, Any], status: int, code: str
) -> None:
    body = {"code": f"B{uuid.uuid4().hex[:6]}", "currency": "EUR", **change}
    key = uuid.uuid4().hex
    problem(
        call(env, "POST", "/v1/loyalty/programs", env.keys["owner"], body, idem=key), status, code
    )
    good = {"code": f"G{uuid.uuid4().hex[:6]}", "currency": "EUR"}
    assert (
        call(env, "POST", "/v1/loyalty/programs", env.keys["owner"], good, idem=key).status_code
        == 201
    )


def test_the_till_finds_a_card_by_phone_and_sees_name_balance_and_tier(env: Env) -> None:
    program = new_program(env, welcome_bonus="1.00")
    phone = f"0903 {uuid.uuid4().int % 10**6:06d}"
    lan = enroll_customer(env.app.uow(), ctx=env.ctx, name="Nguyễn Thị Lan", phones=[phone])
    issued = call(
        env, "POST", "/v1/cards", env.keys["cashier"], {"program": program, "customer": str(lan.id)}
    )
    assert issued.status_code == 201, issued.text
    card = issued.json()
    assert card["kind"] == "personal" and card["customer_id"] is None  # no dossier for a cashier
    number = card["number"]

    seen = {
        role: call(
            env, "GET", "/v1/cards", env.keys[role], params={"phone": phone.replace(" ", "")}
        )
        for role in ("owner", "cashier", "partner")
    }
    assert all(r.status_code == 200 for r in seen.values())
    [mine] = seen["cashier"].json()
    assert (mine["number"], mine["holder"], mine["tier"]) == (number, "Nguyễn Thị Lan", None)
    assert Decimal(mine["available"]) == Decimal("1.00") and mine["customer_id"] is None
    [partners] = seen["partner"].json()
    assert partners["holder"] is None and partners["customer_id"] is None
    [owners] = seen["owner"].json()
    assert owners["holder"] == "Nguyễn Thị Lan" and owners["customer_id"] == lan.id
    shown = call(env, "GET", f"/v1/cards/{number[:4]} {number[4:]}", env.keys["cashier"]).json()
    assert shown["holder"] == "Nguyễn Thị Lan" and shown["available"] == "1.00"
    # the analyst may not look cards up; another business finds nothing
    problem(
        call(env, "GET", "/v1/cards", env.keys["analyst"], params={"phone": phone}),
        403,
        "forbidden",
    )
    e164 = "+84" + phone.replace(" ", "")[1:]  # B's region is not Vietnam
    assert call(env, "GET", "/v1/cards", env.other, params={"phone": e164}).json() == []
    problem(call(env, "GET", f"/v1/cards/{number}", env.other), 404, "unknown_card")
    problem(
        call(env, "GET", "/v1/cards", env.keys["cashier"], params={"phone": "12"}),
        422,
        "invalid_phone",
    )


def test_issue_a_card_once_per_key_and_refuse_bad_requests(env: Env) -> None:
    program = new_program(env)
    cashier, key = env.keys["cashier"], uuid.uuid4().hex
    first = call(env, "POST", "/v1/cards", cashier, {"program": program, "bearer": True}, idem=key)
    again = call(env, "POST", "/v1/cards", cashier, {"program": program, "bearer": True}, idem=key)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    for body, status, code in (
        ({"program": program}, 422, "invalid"),  # neither customer nor bearer
        ({"program": "NOPE", "bearer": True}, 404, "unknown_program"),
        ({"program": program, "customer": "ext:nobody"}, 404, "not_found"),
        ({"program": program, "bearer": "yes please"}, 422, "invalid"),
    ):
        problem(call(env, "POST", "/v1/cards", cashier, body), status, code)
    problem(
        call(env, "POST", "/v1/cards", env.other, {"program": program, "bearer": True}),
        404,
        "unknown_program",
    )
    res = env.client.post(
        "/v1/cards",
        json={"program": program, "bearer": True},
        headers={"Authorization": f"Bearer {cashier}"},
    )
    problem(res, 400, "idempotency_key_required")


def test_history_pages_expiring_value_block_and_replace(env: Env) -> None:
    program = new_program(env)
    number = funded_card(env, program)
    cashier, owner = env.keys["cashier"], env.keys["owner"]
    redeem = {"card": number, "order": "R-1", "amount": "2.00", "currency": "EUR"}
    assert call(env, "POST", "/v1/pos/redeem", cashier, redeem).status_code == 200

    page = call(env, "GET", f"/v1/cards/{number}/history", cashier, params={"limit": 1}).json()
    assert [(e["kind"], e["available_change"], e["order"]) for e in page["items"]] == [
        ("redeem", "-2.00", "R-1")
    ]
    rest = call(
        env, "GET", f"/v1/cards/{number}/history", cashier, params={"cursor": page["next_cursor"]}
    ).json()
    assert [(e["kind"], e["available_change"]) for e in rest["items"]] == [("accrue", "5.00")]
    assert rest["next_cursor"] is None
    problem(
        call(env, "GET", f"/v1/cards/{number}/history", cashier, params={"cursor": "nonsense"}),
        400,
        "invalid_cursor",
    )

    huge = call(
        env, "GET", f"/v1/cards/{number}/history", cashier, params={"cursor": id_cursor(10**30)}
    )
    assert huge.status_code == 200 and len(huge.json()["items"]) == 2  # beyond BIGINT: from the top

    soon = call(env, "GET", f"/v1/cards/{number}/expiring", cashier, params={"days": 400}).json()
    assert [x["amount"] for x in soon] == ["3.00"]  # what is left of the 5.00 lot
    assert call(env, "GET", f"/v1/cards/{number}/expiring", cashier).json() == []  # 12 months
    problem(
        call(env, "GET", f"/v1/cards/{number}/expiring", cashier, params={"days": -1}),
        422,
        "invalid",
    )

    problem(call(env, "POST", f"/v1/cards/{number}/block", cashier), 403, "forbidden")
    problem(call(env, "POST", f"/v1/cards/{number}/block", env.other), 404, "unknown_card")
    blocked = call(env, "POST", f"/v1/cards/{number}/block", owner)
    assert blocked.status_code == 200 and blocked.json()["status"] == "blocked"
    assert call(env, "POST", f"/v1/cards/{number}/block", owner).json()["status"] == "blocked"
    accrue = {"card": number, "order": "A-2", "amount": "10.00", "currency": "EUR"}
    problem(call(env, "POST", "/v1/pos/accrue", cashier, accrue), 409, "card_blocked")

    key = uuid.uuid4().hex
    replaced = call(env, "POST", f"/v1/cards/{number}/replace", owner, idem=key)
    assert replaced.status_code == 200, replaced.text
    r = replaced.json()
    assert r["old"] == number and r["moved_available"] == "3.00"
    assert call(env, "POST", f"/v1/cards/{number}/replace", owner, idem=key).json() == r
    problem(call(env, "POST", f"/v1/cards/{number}/replace", owner), 422, "invalid")
    assert call(env, "GET", f"/v1/cards/{r['new']}", cashier).json()["available"] == "3.00"
    moved = call(env, "GET", f"/v1/cards/{number}/history", cashier).json()["items"][0]
    assert (moved["kind"], moved["available_change"]) == ("replace", "-3.00")
    assert svc.verify_ledger(env.app.uow(), ctx=env.ctx).ok


def test_a_coalition_partner_sees_balances_not_people(env: Env) -> None:
    program = new_program(env)
    owner = env.keys["owner"]
    joined = call(
        env, "POST", f"/v1/loyalty/programs/{program}/members", owner, {"business": "sportshop"}
    )
    assert joined.status_code == 201
    lan = enroll_customer(env.app.uow(), ctx=env.ctx, name="Trần Văn Hùng")
    number = funded_card(env, program, customer=str(lan.id))
    shown = call(env, "GET", f"/v1/cards/{number}", env.partner)
    assert shown.status_code == 200 and shown.json()["available"] == "5.00"
    assert shown.json()["holder"] is None and shown.json()["customer_id"] is None
    [entry] = call(env, "GET", f"/v1/cards/{number}/history", env.partner).json()["items"]
    assert entry["order"] is None and entry["business"] is None  # the owner's sale, not theirs
    [own] = call(env, "GET", f"/v1/cards/{number}/history", owner).json()["items"]
    assert own["business"] == "default" and own["order"] == f"O-{number}"


def test_vouchers_are_made_checked_and_used_once(env: Env) -> None:
    program = new_program(env)
    owner, cashier = env.keys["owner"], env.keys["cashier"]
    body = {"program": program, "value": "5.00", "count": 2, "min_spend": "20"}
    made = call(env, "POST", "/v1/loyalty/vouchers", owner, body)
    assert made.status_code == 201, made.text
    codes = [v["code"] for v in made.json()]
    assert len(set(codes)) == 2
    problem(call(env, "POST", "/v1/loyalty/vouchers", cashier, body), 403, "forbidden")
    shown = call(env, "GET", f"/v1/loyalty/vouchers/{codes[0].lower()}", cashier).json()
    assert (shown["code"], shown["uses"], shown["min_spend"]) == (codes[0], 0, "20.00")

    number = funded_card(env, program)
    use = {"order": "V-1", "order_total": "50.00", "card": number}
    key = uuid.uuid4().hex
    first = call(env, "POST", f"/v1/loyalty/vouchers/{codes[0]}/redeem", cashier, use, idem=key)
    assert first.status_code == 200, first.text
    assert Decimal(first.json()["discount"]) == 5 and first.json()["replayed"] is False
    again = call(env, "POST", f"/v1/loyalty/vouchers/{codes[0]}/redeem", cashier, use, idem=key)
    assert again.json()["replayed"] is True
    problem(
        call(
            env, "POST", f"/v1/loyalty/vouchers/{codes[0]}/redeem", cashier, {**use, "order": "V-2"}
        ),
        409,
        "voucher_already_used",
    )
    small = {**use, "order": "V-3", "order_total": "10.00"}
    assert (
        call(env, "POST", f"/v1/loyalty/vouchers/{codes[1]}/redeem", cashier, small).status_code
        == 409
    )
    problem(call(env, "GET", f"/v1/loyalty/vouchers/{codes[0]}", env.other), 404, "unknown_voucher")
    problem(
        call(env, "GET", "/v1/loyalty/vouchers/NOT-A-CODE", cashier), 422, "invalid_voucher_code"
    )
    for bad, code in (
        ({**body, "kind": "percent", "value": "150"}, "invalid_voucher"),
        ({**body, "count": 501}, "invalid"),
        ({**body, "value": 5}, "invalid_amount"),
        ({**body, "prefix": "!!"}, "invalid_voucher_code"),
        ({**body, "valid_from": "2027-01-02", "valid_until": "2027-01-01"}, "invalid_voucher"),
    ):
        problem(call(env, "POST", "/v1/loyalty/vouchers", owner, bad), 422, code)


def test_the_ledger_check_is_the_owners(env: Env) -> None:
    funded_card(env, new_program(env))
    report = call(env, "GET", "/v1/loyalty/verify", env.keys["owner"])
    assert report.status_code == 200 and report.json()["ok"] is True
    assert report.json()["entries"] >= 1 and report.json()["problems"] == []
    for role in ("cashier", "analyst", "partner"):
        problem(call(env, "GET", "/v1/loyalty/verify", env.keys[role]), 403, "forbidden")
    other = call(env, "GET", "/v1/loyalty/verify", env.other).json()
    assert other["entries"] == 0  # B owns no program: A's ledger is not B's to check
