"""Idempotent creation: the first answer to a POST is kept under its Idempotency-Key.

The key is claimed before the work starts (a unique row), so two concurrent requests with one
key cannot both create; the answer is stored after. A repeat with the same body gets the stored
answer and `Idempotent-Replayed: true`; the same key with another body is a 409. A refused
request (4xx) releases its key, so a corrected request may use it again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from regulars.api.errors import ApiProblem
from regulars.bootstrap import App
from regulars.services.context import BusinessContext
from regulars.store.replay_tables import ANSWERS_KEPT, StoredResponse

REPLAYED = "Idempotent-Replayed"


async def request_fingerprint(request: Request) -> str:
    """The request as the key promises it: method, path, body — and the credential, so a key
    reused by another caller of the business (a cashier after an owner) is a conflict, not a
    replay of an answer meant for someone else."""
    body = await request.body()
    who = (request.headers.get("x-api-key") or request.headers.get("authorization") or "").strip()
    h = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), body, who.encode()):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def _claim(app: App, ctx: BusinessContext, key: str, fingerprint: str) -> JSONResponse | None:
    """None when the key is ours to use now; else the answer for a repeat."""
    try:
        with app.uow() as uow:
            uow.session.add(
                StoredResponse(
                    tenant_id=ctx.tenant_id,
                    key=key,
                    request_hash=fingerprint,
                    status=0,
                    created_at=datetime.now(UTC),
                )
            )
        return None
    except IntegrityError:
        pass
    with app.uow() as uow:
        first = uow.session.scalar(
            select(StoredResponse).where(
                StoredResponse.tenant_id == ctx.tenant_id, StoredResponse.key == key
            )
        )
    if first is None:  # released in between: a refused first attempt; claim again
        return _claim(app, ctx, key, fingerprint)
    if first.created_at < datetime.now(UTC) - ANSWERS_KEPT:  # expired: the key is new again
        with app.uow() as uow:
            uow.session.execute(delete(StoredResponse).where(StoredResponse.id == first.id))
        return _claim(app, ctx, key, fingerprint)
    if first.request_hash != fingerprint:
        raise ApiProblem(
            409,
            "idempotency_conflict",
            "this Idempotency-Key was used for a different request; use a new key",
        )
    if first.status == 0:
        raise ApiProblem(
            409,
            "idempotency_in_progress",
            "a request with this Idempotency-Key is still being handled (or was interrupted); "
            "look the result up before retrying with a new key",
        )
    headers = {**(first.headers or {}), REPLAYED: "true"}
    return JSONResponse(first.body, status_code=first.status, headers=headers)


def _release(app: App, ctx: BusinessContext, key: str) -> None:
    with app.uow() as uow:
        uow.session.execute(
            delete(StoredResponse).where(
                StoredResponse.tenant_id == ctx.tenant_id,
                StoredResponse.key == key,
                StoredResponse.status == 0,
            )
        )


def run_once(
    app: App,
    ctx: BusinessContext,
    key: str,
    fingerprint: str,
    work: Callable[[], Any],
    model: Any,
    *,
    status: int = 201,
    headers: Callable[[Any], dict[str, str]] | None = None,
) -> JSONResponse:
    """Do `work` once per key; its result is serialised as `model` (Decimal → string)."""
    replay = _claim(app, ctx, key, fingerprint)
    if replay is not None:
        return replay
    try:
        result = work()
    except BaseException:
        _release(app, ctx, key)
        raise
    body = TypeAdapter(model).dump_python(result, mode="json")
    extra = headers(result) if headers else {}
    with app.uow() as uow:
        uow.session.execute(
            update(StoredResponse)
            .where(StoredResponse.tenant_id == ctx.tenant_id, StoredResponse.key == key)
            .values(status=status, body=json.loads(json.dumps(body)), headers=extra or None)
        )
    return JSONResponse(body, status_code=status, headers=extra)
