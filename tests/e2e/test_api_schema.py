"""schemathesis against /openapi.json: generated requests to every customer, order, product,
POS, card and loyalty operation never get a 5xx, and every answer matches the documented schema
and status codes. Generated bodies include injection strings, huge numbers, wrong types and odd
unicode; loyalty operations also get negative data (must be a 4xx) and stateful chains."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import positive_data_acceptance
from schemathesis.generation.modes import GenerationMode

from regulars.bootstrap import App
from regulars.domain.loyalty.program import ProgramSpec, RuleSpec
from regulars.services import loyalty
from regulars.services.context import BusinessContext
from regulars.services.customers import enroll_customer
from tests.fixtures.api import served_app

pytestmark = pytest.mark.slow
EXAMPLES = 25  # per operation


def test_no_server_error_and_answers_match_the_schema(
    request: pytest.FixtureRequest, app: App, ctx: BusinessContext, api_key: str
) -> None:
    enroll_customer(app.uow(), ctx=ctx, name="Nguyễn Thị Lan", external_id="1")
    schema = schemathesis.openapi.from_asgi("/openapi.json", served_app(request, app)).include(
        path_regex=r"^/v1/(customers|orders|products)"
    )
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 12

    for operation in operations:

        @given(case=operation.as_strategy(), data=st.data())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case, data: st.DataObject) -> None:
            del data
            _drop_generated_keys(case)
            case.call_and_validate(
                headers={
                    "Authorization": f"Bearer {api_key}",
                    "Idempotency-Key": uuid.uuid4().hex,
                },
                # Phones, e-mails, languages… are checked by the services beyond what a JSON
                # schema can say: a schema-valid value may rightly get a 422.
                excluded_checks=[positive_data_acceptance],
            )

        check()


LOYALTY_EXAMPLES = 6  # per operation and kind of data: 20 operations, kept fast


def _loyalty_business(app: App, ctx: BusinessContext) -> dict[str, str]:
    """A program, a card with value on it and a voucher: real things for paths to name."""
    spec = ProgramSpec("CAFE", "EUR", rules=RuleSpec(cashback_percent=Decimal(5)))
    loyalty.create_program(app.uow(), ctx=ctx, spec=spec)
    number = loyalty.issue_card(app.uow(), ctx=ctx, program="CAFE", bearer=True).number
    loyalty.accrue(app.uow(), ctx=ctx, card=number, order="A-1", amount="100.00")
    [voucher] = loyalty.create_vouchers(
        app.uow(), ctx=ctx, program="CAFE", kind="amount", value="5"
    )
    return {"number": number, "program": "CAFE", "voucher": voucher.code}


def _real_path(label: str, known: dict[str, str]) -> dict[str, str]:
    if "{number}" in label:
        return {"number": known["number"]}
    if "/programs/{code}" in label:
        return {"code": known["program"]}
    if "/vouchers/{code}" in label:
        return {"code": known["voucher"]}
    return {}


def test_pos_and_loyalty_routes_never_fail_and_match_the_schema(
    request: pytest.FixtureRequest, app: App, ctx: BusinessContext, api_key: str
) -> None:
    """Positive data (on random and on real cards, programs and vouchers) and negative data
    (which must be refused with a 4xx) for every POS, card and loyalty operation."""
    known = _loyalty_business(app, ctx)
    schema = schemathesis.openapi.from_asgi("/openapi.json", served_app(request, app)).include(
        path_regex=r"^/v1/(pos|cards|loyalty)"
    )
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:
        real = _real_path(operation.label, known)
        strategies = [(operation.as_strategy(), [positive_data_acceptance])]
        if operation.body or list(operation.query):  # a bare path string has no wrong value
            strategies.append((operation.as_strategy(generation_mode=GenerationMode.NEGATIVE), []))
        if real:
            strategies.append(
                (operation.as_strategy(path_parameters=real), [positive_data_acceptance])
            )
        for strategy, excluded in strategies:
            _check_all(strategy, api_key, excluded)


def _check_all(strategy: Any, api_key: str, excluded: list[Any]) -> None:
    @given(case=strategy)
    @settings(
        max_examples=LOYALTY_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        _drop_generated_keys(case)
        case.call_and_validate(headers=_headers(api_key), excluded_checks=excluded)

    check()


def _drop_generated_keys(case: schemathesis.Case) -> None:
    """A generated X-API-Key would win over the test's own key: every call would be a 401."""
    for name in list(case.headers or {}):
        if name.lower() in ("authorization", "x-api-key"):
            del case.headers[name]


def _headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}", "Idempotency-Key": uuid.uuid4().hex}


def test_loyalty_flows_follow_the_openapi_links(
    request: pytest.FixtureRequest, app: App, ctx: BusinessContext, api_key: str
) -> None:
    """Stateful: schemathesis chains operations through the documented links (a new card →
    its balance, history, block, replace → the successor; a program → its members; a voucher →
    its use). Creating POSTs are pointed at the real program so the chains have something to
    follow; the per-operation test above fuzzes those bodies."""
    known = _loyalty_business(app, ctx)
    schema = schemathesis.openapi.from_asgi("/openapi.json", served_app(request, app)).include(
        path_regex=r"^/v1/(cards|loyalty)"
    )
    real_bodies = {
        "POST /v1/cards": {"program": known["program"], "bearer": True},
        "POST /v1/loyalty/vouchers": {"program": known["program"], "value": "2", "count": 1},
    }

    reached: set[tuple[str, int]] = set()

    class Flows(schema.as_state_machine()):  # type: ignore[misc]
        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            reached.add((case.operation.label, response.status_code))

        def before_call(self, case: schemathesis.Case) -> None:
            _drop_generated_keys(case)
            if case.operation.label in real_bodies and isinstance(case.body, dict):
                case.body = dict(real_bodies[case.operation.label])

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": _headers(api_key)}

        def validate_response(
            self,
            response: Any,
            case: schemathesis.Case,
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            case.validate_response(
                response, excluded_checks=[positive_data_acceptance], transport_kwargs=kwargs
            )

    Flows.run(
        settings=settings(
            max_examples=10,
            stateful_step_count=6,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # the chains did reach real cards through the links
    assert ("GET /v1/cards/{number}", 200) in reached or (
        "POST /v1/cards/{number}/replace",
        200,
    ) in reached, sorted(reached)
    assert loyalty.verify_ledger(app.uow(), ctx=ctx).ok
