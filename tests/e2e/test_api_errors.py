"""Even a bug answers problem+json: logged for us, no traceback for the client."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from regulars.api.routes import orders
from regulars.bootstrap import App
from tests.fixtures.api import served_app


def test_a_bug_is_a_logged_problem_500_without_traceback(
    request: pytest.FixtureRequest,
    app: App,
    api_key: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*_args: object, **_kw: object) -> None:
        raise RuntimeError("secret internals: db password is hunter2")

    monkeypatch.setattr(orders, "list_products", broken)
    with (
        caplog.at_level(logging.ERROR, logger="regulars.api"),
        TestClient(served_app(request, app), raise_server_exceptions=False) as client,
    ):
        res = client.get("/v1/products", headers={"X-API-Key": api_key})
    assert res.status_code == 500
    assert res.headers["content-type"] == "application/problem+json"
    assert res.json()["code"] == "internal_error"
    assert "hunter2" not in res.text and "Traceback" not in res.text
    assert "hunter2" in caplog.text  # the traceback went to the log
