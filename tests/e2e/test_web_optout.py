"""The opt-out link of a marketing e-mail, in the web server (TestClient): a GET asks, a POST
(the button or a mail client's RFC 8058 one-click) withdraws e-mail marketing consent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from regulars.api.app import create_app
from regulars.bootstrap import App
from regulars.services.consents import consent_history, may_contact, record_consent
from regulars.services.context import BusinessContext
from regulars.services.customers import enroll_customer
from regulars.services.optout import opt_out_token
from regulars.web.optout import router
from tests.conftest import served_url

SECRET = "a secret for signing opt-out links"


@pytest.fixture
def web(request: pytest.FixtureRequest, app: App) -> Iterator[TestClient]:
    settings = app.settings.model_copy(
        update={
            "database_url": served_url(request, app.settings.database_url),
            "secret_key": SECRET,
        }
    )
    api = create_app(settings)
    api.include_router(router)
    with TestClient(api, base_url="https://testserver") as c:
        yield c


def test_opting_out_by_the_link(web: TestClient, app: App, ctx: BusinessContext) -> None:
    hoa = enroll_customer(app.uow(), ctx=ctx, name="Nguyễn Thị Hoa", emails=["hoa@example.vn"]).id
    for channel in ("email", "sms"):
        record_consent(
            app.uow(), ctx=ctx, customer_id=hoa, channel=channel, purpose="marketing",
            granted=True, source="web form",
        )  # fmt: skip
    token = opt_out_token(SECRET, tenant_id=ctx.tenant_id, customer_id=hoa)

    asked = web.get(f"/u/{token}")
    assert asked.status_code == 200 and "Unsubscribe" in asked.text
    assert may_contact(app.uow(), ctx=ctx, customer_id=hoa, channel="email", purpose="marketing")

    done = web.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert not may_contact(
        app.uow(), ctx=ctx, customer_id=hoa, channel="email", purpose="marketing"
    )
    assert may_contact(app.uow(), ctx=ctx, customer_id=hoa, channel="sms", purpose="marketing")
    last = consent_history(app.uow(), ctx=ctx, customer_id=hoa)[-1]
    assert (last.granted, last.source) == (False, "opt-out link")

    again = web.post(f"/u/{token}")
    assert "already unsubscribed" in again.text
    assert len(consent_history(app.uow(), ctx=ctx, customer_id=hoa)) == 3  # nothing more written


def test_a_forged_link_changes_nothing(web: TestClient, app: App, ctx: BusinessContext) -> None:
    hoa = enroll_customer(app.uow(), ctx=ctx, name="Nguyễn Thị Hoa").id
    token = opt_out_token(SECRET, tenant_id=ctx.tenant_id, customer_id=hoa)
    forged = token.replace(f".{hoa}.", f".{hoa + 1}.")
    assert web.get(f"/u/{forged}").status_code == 404
    assert web.post(f"/u/{forged}").status_code == 404
    other = opt_out_token("another secret of some length", tenant_id=ctx.tenant_id, customer_id=hoa)
    assert web.post(f"/u/{other}").status_code == 404
    assert consent_history(app.uow(), ctx=ctx, customer_id=hoa) == []
