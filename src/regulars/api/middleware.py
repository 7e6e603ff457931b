"""Cross-cutting HTTP concerns as plain ASGI middleware (no per-request thread hop):

- every request gets an id (the client's `X-Request-ID` when sane, else a new one), echoed in
  the response and written in one structured (JSON) log line with method, path, status and time;
- bodies above the limit are refused with 413 before they are read into memory.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from regulars.api.errors import PROBLEM_JSON, TYPE_PREFIX

log = logging.getLogger("regulars.api.access")
MAX_BODY_BYTES = 1_000_000  # the largest real request (an order of 500 lines) is far below
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _too_large() -> bytes:
    return json.dumps(
        {
            "type": TYPE_PREFIX + "payload_too_large",
            "title": "Content too large",
            "status": 413,
            "detail": f"the request body is larger than {MAX_BODY_BYTES} bytes",
            "code": "payload_too_large",
        }
    ).encode()


class _BodyTooLarge(Exception):
    pass


class RequestContext:
    """Request id, access log line and body-size limit for every HTTP request."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        rid = given if given and _SANE_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = {"code": 500}
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await self._refuse(send, rid)
            self._log(scope, rid, 413, started)
            return
        seen = {"bytes": 0}

        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen["bytes"] += len(message.get("body", b""))
                if seen["bytes"] > self.max_body:
                    raise _BodyTooLarge
            return message

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except _BodyTooLarge:  # a chunked body without Content-Length that kept growing
            await self._refuse(send, rid)
            status["code"] = 413
        self._log(scope, rid, status["code"], started)

    async def _refuse(self, send: Send, rid: str) -> None:
        body = _too_large()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", rid.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _log(scope: Scope, rid: str, status: int, started: float) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        line: dict[str, Any] = {
            "request_id": rid,
            "method": scope.get("method"),
            "path": scope.get("path"),
            "status": status,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }
        log.info(json.dumps(line))
