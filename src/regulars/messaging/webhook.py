"""Webhooks: a signed JSON POST for SMS and messenger gateways and the business's own systems.

The signature header is `X-Regulars-Signature: t=<unix seconds>,v1=<hex>`, where the hex is
HMAC-SHA256(secret, "<t>.<raw body>"). Signing the timestamp with the body lets a receiver
refuse replays of an old request; `verify_signature` is what a receiver (in Python) calls.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from regulars.domain.outbox import PermanentFailure, TemporaryFailure

SIGNATURE_HEADER = "X-Regulars-Signature"
DEFAULT_TOLERANCE = 300  # seconds a signed request stays valid


class SignatureError(ValueError):
    """The request was not signed with our secret, or too long ago."""


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The header value for `body`: `t=<unix>,v1=<hex hmac-sha256 of "<t>.<body>">`."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify_signature(
    body: bytes,
    header: str,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> None:
    """Raise SignatureError unless `header` signs exactly these raw `body` bytes, recently.

    Use the body as received (before any JSON parsing); several `v1=` values are accepted so a
    secret can be rotated without downtime.
    """
    parts = [p.partition("=") for p in header.split(",")]
    stamps = [v for k, _, v in parts if k.strip() == "t"]
    macs = [v.strip() for k, _, v in parts if k.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not macs:
        raise SignatureError("malformed signature header")
    t = int(stamps[0])
    if abs((time.time() if now is None else now) - t) > tolerance:
        raise SignatureError("signature timestamp outside the tolerance")
    expected = sign(body, secret, t).partition(",v1=")[2]
    if not any(hmac.compare_digest(expected, m) for m in macs):
        raise SignatureError("signature does not match")


@dataclass(frozen=True, slots=True)
class WebhookChannel:
    """POSTs signed JSON to one URL; `session()` keeps one connection pool for a batch."""

    url: str
    secret: str
    timeout: float = 10.0

    @contextmanager
    def session(self) -> Iterator[Callable[[Mapping[str, Any]], None]]:
        with httpx.Client(timeout=self.timeout) as client:
            yield lambda payload: self._post(client, payload)

    def send(self, payload: Mapping[str, Any]) -> None:
        with self.session() as send:
            send(payload)

    def _post(self, client: httpx.Client, payload: Mapping[str, Any]) -> None:
        """Deliver; 5xx, 408, 429 and network errors are temporary, other answers permanent."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
        raw = body.encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(raw, self.secret)}
        try:
            response = client.post(self.url, content=raw, headers=headers)
        except httpx.HTTPError as e:
            raise TemporaryFailure(f"webhook unreachable: {type(e).__name__}: {e}") from e
        code = response.status_code
        if code < 300:
            return
        reason = f"webhook answered {code}"
        if code >= 500 or code in (408, 429):
            raise TemporaryFailure(reason)
        raise PermanentFailure(reason)
