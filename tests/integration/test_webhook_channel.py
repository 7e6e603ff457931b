"""Webhooks to a local HTTP server: the receiver can verify the signature; 5xx is retried."""

from __future__ import annotations

import json

import pytest

from regulars.domain.outbox import PermanentFailure, TemporaryFailure
from regulars.messaging.webhook import (
    SignatureError,
    WebhookChannel,
    sign,
    verify_signature,
)
from tests.fixtures.webhooks import SECRET, Receiver


def test_signature_verifies_at_the_receiver(webhook_url: str) -> None:
    WebhookChannel(f"{webhook_url}/200", SECRET).send(
        {"kind": "order_shipped", "name": "Nguyễn Thị Hoa"}
    )
    ((body, header),) = Receiver.received
    verify_signature(body, header, SECRET)
    assert json.loads(body)["name"] == "Nguyễn Thị Hoa"
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(body.replace(b"shipped", b"delivered"), header, SECRET)
    with pytest.raises(SignatureError):
        verify_signature(body, header, "another secret")


def test_a_batch_shares_one_client(webhook_url: str) -> None:
    with WebhookChannel(f"{webhook_url}/200", SECRET).session() as send:
        for i in range(5):
            send({"i": i})
    assert [json.loads(b)["i"] for b, _ in Receiver.received] == list(range(5))


def test_5xx_is_temporary_4xx_permanent(webhook_url: str) -> None:
    with pytest.raises(TemporaryFailure, match="500"):
        WebhookChannel(f"{webhook_url}/500", SECRET).send({"a": 1})
    with pytest.raises(PermanentFailure, match="400"):
        WebhookChannel(f"{webhook_url}/400", SECRET).send({"a": 1})


def test_unreachable_is_temporary() -> None:
    with pytest.raises(TemporaryFailure):
        WebhookChannel("http://127.0.0.1:9", SECRET, timeout=2).send({"a": 1})


def test_old_or_malformed_signatures_are_refused() -> None:
    body = b'{"a":1}'
    with pytest.raises(SignatureError, match="tolerance"):
        verify_signature(body, sign(body, SECRET, timestamp=1000), SECRET, now=2000)
    verify_signature(body, sign(body, SECRET, timestamp=1000), SECRET, now=1100)
    with pytest.raises(SignatureError, match="malformed"):
        verify_signature(body, "v1=abc", SECRET)
