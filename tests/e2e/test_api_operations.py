"""Operations: readiness, request ids in answers and logs, oversize bodies refused (issue 6 §5)."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from regulars.api.middleware import MAX_BODY_BYTES


def test_healthz_checks_the_database_and_schema(api_anonymous: TestClient) -> None:
    r = api_anonymous.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "schema": "current"}


def test_every_answer_has_a_request_id_and_one_log_line(
    api_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="regulars.api.access"):
        mine = api_client.get("/v1/whoami", headers={"X-Request-ID": "till-7:42"})
        fresh = api_client.get("/v1/customers/999")
    assert mine.headers["x-request-id"] == "till-7:42"
    assert len(fresh.headers["x-request-id"]) == 32
    lines = [json.loads(r.getMessage()) for r in caplog.records]
    assert {(x["request_id"], x["path"], x["status"]) for x in lines} == {
        ("till-7:42", "/v1/whoami", 200),
        (fresh.headers["x-request-id"], "/v1/customers/999", 404),
    }
    odd = api_client.get("/v1/whoami", headers={"X-Request-ID": "<script>"})
    assert odd.headers["x-request-id"] != "<script>"  # not echoed: a new one instead


def test_an_oversize_body_is_413_not_read(api_client: TestClient) -> None:
    big = b'{"name": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    r = api_client.post(
        "/v1/customers",
        content=big,
        headers={"Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
