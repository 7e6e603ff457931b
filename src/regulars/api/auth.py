"""API keys: `Authorization: Bearer <key>` or `X-API-Key: <key>` selects the business (tenant).

Keys are looked up by their SHA-256; a found key is remembered for a short while so a busy till
does not pay a database round trip per request just to be recognised. The dependencies are
`async`: FastAPI runs a sync dependency in the thread pool, a thread hop per dependency and
request; only a cache miss needs the database, and goes to the thread pool for it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from regulars.api.errors import ApiProblem
from regulars.bootstrap import App
from regulars.services.businesses import context_of
from regulars.services.context import BusinessContext
from regulars.store.api_tables import hash_key, key_of
from regulars.store.tenancy import act_for

CACHE_SECONDS = 30.0
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="regulars"'}


class KeyCache:
    """key hash → (business, expiry); only hits are cached, so a new key works at once."""

    def __init__(self, ttl: float = CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._items: dict[str, tuple[BusinessContext, float]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> BusinessContext | None:
        with self._lock:
            hit = self._items.get(digest)
            if hit is None or hit[1] < time.monotonic():
                self._items.pop(digest, None)
                return None
            return hit[0]

    def put(self, digest: str, ctx: BusinessContext) -> None:
        with self._lock:
            self._items[digest] = (ctx, time.monotonic() + self.ttl)


async def regulars_app(request: Request) -> App:
    app: App = request.app.state.regulars
    return app


def _presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None


async def current_business(
    request: Request,
    app: Annotated[App, Depends(regulars_app)],
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> BusinessContext:
    """The business whose key came with the request; 401 problem when none or a wrong one."""
    key = _presented_key(authorization, x_api_key)
    if not key:
        raise ApiProblem(
            401,
            "unauthorized",
            "send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`",
            headers=_CHALLENGE,
        )
    cache: KeyCache = request.app.state.key_cache
    digest = hash_key(key)
    ctx = cache.get(digest)
    if ctx is None:
        ctx = await run_in_threadpool(_look_up, app, key)  # the database: off the event loop
        if ctx is None:
            raise ApiProblem(401, "unauthorized", "unknown or revoked API key", headers=_CHALLENGE)
        cache.put(digest, ctx)
    # This request's transactions act for the key's business (row-level security on
    # PostgreSQL); set here, in the request's own context, so the routes' threads inherit it.
    act_for(ctx.tenant_id)
    return ctx


def _look_up(app: App, key: str) -> BusinessContext | None:
    """The business and role of a key, as the context requests act in (the audit log names the
    key); also marks the key used (so last-used is exact to the cache's 30 seconds)."""
    with app.uow() as uow:
        found = key_of(uow.session, key)
        if found is None:
            return None
        business, row = found
        return replace(context_of(business), actor=f"key {row.name}", source="api", role=row.role)


Business = Annotated[BusinessContext, Depends(current_business)]
