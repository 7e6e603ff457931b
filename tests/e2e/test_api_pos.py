"""The point-of-sale API end to end: the documents' cashback example, idempotency, bad input.

Every refused request must answer a clear 4xx problem+json AND leave the ledger untouched.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.bootstrap import App
from regulars.domain.loyalty.cards import make_number
from regulars.domain.loyalty.program import ProgramSpec, RuleSpec
from regulars.services.context import BusinessContext
from regulars.services.loyalty import create_program, issue_card
from regulars.store.loyalty_tables import LoyaltyEntry, LoyaltyPosting

PROBLEM = "application/problem+json"


@pytest.fixture
def card(app: App, ctx: BusinessContext) -> str:
    """A bearer card of a 5 % cashback program in EUR."""
    spec = ProgramSpec("CAFE", "EUR", rules=RuleSpec(cashback_percent=Decimal(5)))
    create_program(app.uow(), ctx=ctx, spec=spec)
    return issue_card(app.uow(), ctx=ctx, program="CAFE", bearer=True).number


def ledger_rows(app: App) -> tuple[int, int]:
    with app.uow() as uow:
        entries = uow.session.scalar(select(func.count()).select_from(LoyaltyEntry))
        postings = uow.session.scalar(select(func.count()).select_from(LoyaltyPosting))
    return int(entries or 0), int(postings or 0)


def post(api_client: TestClient, path: str, body: Any, key: str | None = "k-1") -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return api_client.post(f"/v1/pos/{path}", json=body, headers=headers)


def amount(res: Any, name: str) -> Decimal:
    """Amounts are decimal strings in JSON; compare them as numbers."""
    value = res.json()[name]
    assert isinstance(value, str), f"{name} should be a decimal string, not {value!r}"
    return Decimal(value)


def assert_problem(res: Any, status: int, code: str) -> None:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith(PROBLEM)
    body = res.json()
    assert body["code"] == code, body
    assert body["status"] == status and body["title"] and body["detail"]


def test_cashback_is_pending_until_paid_then_pays_the_next_purchase(
    api_client: TestClient, card: str
) -> None:
    basket = [{"sku": "TEA-01", "quantity": 2, "unit_price": "2500.00", "category": "tea"}]
    quoted = post(api_client, "quote", {"card": card, "currency": "EUR", "lines": basket})
    assert quoted.status_code == 200, quoted.text
    assert amount(quoted, "total") == 5000 and amount(quoted, "earn") == 250
    assert amount(quoted, "max_redeem") == 0  # nothing on the card yet

    accrued = post(
        api_client,
        "accrue",
        {"card": card, "order": "A-1", "amount": "5000.00", "currency": "EUR", "pending": True},
        key="acc-A-1",
    )
    assert accrued.status_code == 200, accrued.text
    assert amount(accrued, "earned") == 250 and accrued.json()["pending"] is True
    assert amount(accrued, "available") == 0 and amount(accrued, "pending_balance") == 250

    shown = api_client.get(f"/v1/cards/{card}")
    assert shown.status_code == 200
    assert amount(shown, "available") == 0 and amount(shown, "pending") == 250

    too_soon = post(
        api_client,
        "redeem",
        {"card": card, "order": "B-2", "amount": "100.00", "currency": "EUR"},
        key="red-B-2-early",
    )
    assert_problem(too_soon, 409, "insufficient_balance")

    paid = post(api_client, "paid", {"order": "A-1"}, key="paid-A-1")
    assert paid.status_code == 200, paid.text
    assert amount(paid, "made_available") == 250
    shown = api_client.get(f"/v1/cards/{card}")
    assert amount(shown, "available") == 250 and amount(shown, "pending") == 0

    next_basket = [{"sku": "CAKE", "quantity": "1", "unit_price": "3000.00"}]
    quoted = post(api_client, "quote", {"card": card, "currency": "EUR", "lines": next_basket})
    assert amount(quoted, "max_redeem") == 250

    spent = post(
        api_client,
        "redeem",
        {"card": card, "order": "B-2", "amount": "250.00", "currency": "EUR"},
        key="red-B-2",
    )
    assert spent.status_code == 200, spent.text
    assert amount(spent, "redeemed") == 250 and amount(spent, "available") == 0
    assert amount(api_client.get(f"/v1/cards/{card}"), "available") == 0


def test_quote_writes_nothing(api_client: TestClient, card: str, app: App) -> None:
    before = ledger_rows(app)
    lines = [{"sku": "X", "quantity": 1, "unit_price": "10.00"}]
    res = post(api_client, "quote", {"card": card, "currency": "EUR", "lines": lines})
    assert res.status_code == 200 and amount(res, "earn") == Decimal("0.50")
    assert ledger_rows(app) == before


def test_same_key_same_body_replays_the_first_answer(
    api_client: TestClient, card: str, app: App
) -> None:
    body = {"card": card, "order": "A-7", "amount": "80.00", "currency": "EUR"}
    first = post(api_client, "accrue", body, key="till1-0007")
    assert first.status_code == 200, first.text
    written = ledger_rows(app)

    again = post(api_client, "accrue", body, key="till1-0007")
    assert again.status_code == 200, again.text
    assert again.json()["replayed"] is True and first.json()["replayed"] is False
    same = {k: v for k, v in again.json().items() if k != "replayed"}
    assert same == {k: v for k, v in first.json().items() if k != "replayed"}
    assert ledger_rows(app) == written

    other = post(api_client, "accrue", {**body, "amount": "90.00"}, key="till1-0007")
    assert_problem(other, 409, "idempotency_conflict")
    assert ledger_rows(app) == written
    assert amount(api_client.get(f"/v1/cards/{card}"), "available") == 4


def test_refund_takes_back_what_the_order_earned(api_client: TestClient, card: str) -> None:
    body = {"card": card, "order": "R-1", "amount": "200.00", "currency": "EUR"}
    assert post(api_client, "accrue", body, key="acc-R-1").status_code == 200
    half = post(
        api_client, "refund", {"order": "R-1", "amount": "100.00", "currency": "EUR"}, key="ref-R-1"
    )
    assert half.status_code == 200, half.text
    assert amount(half, "reversed") == 5
    assert amount(api_client.get(f"/v1/cards/{card}"), "available") == 5


def _unknown_card() -> str:
    return make_number("999999", 1)


BAD = [
    ("negative", "redeem", {"amount": "-5.00"}, 422, "invalid_amount"),
    ("zero", "accrue", {"amount": "0"}, 422, "invalid_amount"),
    ("float", "accrue", {"amount": 12.5}, 422, "invalid_amount"),
    ("integer", "redeem", {"amount": 12}, 422, "invalid_amount"),
    ("not-a-number", "accrue", {"amount": "twelve"}, 422, "invalid_amount"),
    ("too-many-decimals", "accrue", {"amount": "10.005"}, 422, "invalid_amount"),
    ("wrong-currency", "accrue", {"currency": "USD"}, 422, "currency_mismatch"),
    ("not-a-currency", "redeem", {"currency": "EURO"}, 422, "invalid"),
    ("unknown-card", "accrue", {"card": _unknown_card()}, 404, "unknown_card"),
    ("mistyped-card", "redeem", {"card": "1234"}, 422, "invalid_card_number"),
    ("unknown-field", "accrue", {"ammount": "10.00"}, 422, "invalid"),
    ("missing-order", "accrue", {"order": None}, 422, "invalid"),
    ("over-balance", "redeem", {"amount": "1000.00"}, 409, "insufficient_balance"),
]


@pytest.mark.parametrize(
    ("path", "change", "status", "code"),
    [pytest.param(p, c, s, k, id=name) for name, p, c, s, k in BAD],
)
def test_bad_input_is_a_clear_4xx_and_writes_nothing(
    api_client: TestClient,
    card: str,
    app: App,
    path: str,
    change: dict[str, Any],
    status: int,
    code: str,
) -> None:
    seed = {"card": card, "order": "S-1", "amount": "20.00", "currency": "EUR"}
    assert post(api_client, "accrue", seed, key="seed").status_code == 200  # 1.00 on the card
    before = ledger_rows(app)
    body = {"card": card, "order": "O-1", "amount": "10.00", "currency": "EUR", **change}
    body = {k: v for k, v in body.items() if v is not None}
    assert_problem(post(api_client, path, body, key="bad-1"), status, code)
    assert ledger_rows(app) == before
    assert amount(api_client.get(f"/v1/cards/{card}"), "available") == 1


def test_malformed_json_missing_keys_and_unknown_orders(
    api_client: TestClient, card: str, app: App
) -> None:
    before = ledger_rows(app)
    broken = api_client.post(
        "/v1/pos/accrue",
        content=b'{"card": "' + card.encode() + b'", "amount": ',
        headers={"Idempotency-Key": "x", "Content-Type": "application/json"},
    )
    assert_problem(broken, 400, "malformed_json")
    body = {"card": card, "order": "O-1", "amount": "10.00", "currency": "EUR"}
    assert_problem(post(api_client, "accrue", body, key=None), 400, "idempotency_key_required")
    assert_problem(post(api_client, "quote", {}, key=None), 400, "idempotency_key_required")
    assert_problem(post(api_client, "accrue", body, key="x" * 201), 400, "idempotency_key_invalid")
    wrong = {"Authorization": "Bearer rk_wrong", "Idempotency-Key": "y"}
    assert_problem(api_client.post("/v1/pos/accrue", json=body, headers=wrong), 401, "unauthorized")
    refund = {"order": "NO-SUCH", "amount": "1.00", "currency": "EUR"}
    assert_problem(post(api_client, "refund", refund), 404, "unknown_order")
    assert_problem(api_client.get(f"/v1/cards/{_unknown_card()}"), 404, "unknown_card")
    assert ledger_rows(app) == before


def test_openapi_documents_every_pos_route(api_anonymous: TestClient) -> None:
    paths = api_anonymous.get("/openapi.json").json()["paths"]
    for route in ("quote", "accrue", "paid", "redeem", "refund"):
        assert f"/v1/pos/{route}" in paths
    assert "/v1/cards/{number}" in paths


def test_accrue_from_basket_lines_and_quote_with_a_redemption(
    api_client: TestClient, card: str
) -> None:
    lines = [
        {"sku": "TEA-01", "quantity": 3, "unit_price": "10.00", "category": "tea"},
        {"sku": "RICE", "quantity": "0.5", "unit_price": "40.00"},
    ]
    body = {"card": card, "order": "L-1", "currency": "EUR", "lines": lines}
    accrued = post(api_client, "accrue", body, key="acc-L-1")
    assert accrued.status_code == 200, accrued.text
    assert amount(accrued, "earned") == Decimal("2.50")  # 5 % of 50.00
    both = post(api_client, "accrue", {**body, "amount": "50.00"}, key="acc-L-2")
    assert_problem(both, 422, "invalid")
    quoted = post(
        api_client,
        "quote",
        {"card": card, "currency": "EUR", "lines": lines, "redeem": "2.50"},
    )
    assert quoted.status_code == 200, quoted.text
    assert amount(quoted, "available") == Decimal("2.50")
    assert amount(quoted, "max_redeem") == Decimal("2.50")


def test_a_till_that_knows_the_customer_quotes_accrues_and_redeems_without_the_card(
    app: App, ctx: BusinessContext, api_client: TestClient, card: str
) -> None:
    from tests.fixtures.customers import make_person

    person = make_person(app, ctx, external_id="C-42")
    own = issue_card(app.uow(), ctx=ctx, program="CAFE", customer=person.id).number
    basket = [{"sku": "TEA-01", "quantity": 1, "unit_price": "100.00"}]
    quoted = post(api_client, "quote", {"customer": "C-42", "currency": "EUR", "lines": basket})
    assert quoted.status_code == 200, quoted.text
    assert quoted.json()["card"] == own and quoted.json()["earn"] == "5.00"
    assert quoted.json()["discount"] == "0.00"  # the currency's precision, even for nothing
    body = {"customer": "C-42", "order": "B-1", "amount": "100.00", "currency": "EUR"}
    accrued = post(api_client, "accrue", body, key="acc-B-1")
    assert accrued.status_code == 200 and accrued.json()["card"] == own
    body = {"customer": "C-42", "order": "B-2", "amount": "5.00", "currency": "EUR"}
    redeemed = post(api_client, "redeem", body, key="red-B-2")
    assert redeemed.status_code == 200 and redeemed.json()["available"] == "0.00"
    both = {"card": own, "customer": "C-42", "currency": "EUR", "lines": basket}
    assert post(api_client, "quote", both).status_code == 422
    unknown = {"customer": "NOBODY", "currency": "EUR", "lines": basket}
    assert post(api_client, "quote", unknown).status_code in (404, 422)


def test_paying_an_order_with_nothing_pending_shows_amounts_with_cents(
    api_client: TestClient, card: str
) -> None:
    body = {"card": card, "order": "P-1", "amount": "10.00", "currency": "EUR"}
    assert post(api_client, "accrue", body, key="acc-P-1").status_code == 200
    res = post(api_client, "paid", {"order": "P-1"}, key="paid-P-1")  # already available
    assert res.status_code == 200, res.text
    assert res.json()["made_available"] == "0.00" and res.json()["given_back"] == "0.00"
