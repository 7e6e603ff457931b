"""The FastAPI application: thin routes over the same services the command line calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from regulars import __version__
from regulars.api.auth import Business, KeyCache
from regulars.api.errors import install_error_handlers
from regulars.api.middleware import RequestContext
from regulars.api.routes import analytics, cards, customers, loyalty, orders, pos
from regulars.api.writes import make_write_gate
from regulars.bootstrap import App
from regulars.config import Settings
from regulars.store.engine import make_api_engine
from regulars.store.migrate import is_up_to_date


def create_app(source: App | Settings | None = None) -> FastAPI:
    """Build the API over an App (shared with the caller) or over settings (an App of its own)."""
    owned = not isinstance(source, App)
    regulars = source if isinstance(source, App) else App(source or Settings())
    if owned:
        regulars.engine = make_api_engine(regulars.settings.database_url)  # before first use
    regulars.ready_schema()  # a new database gets its schema; an old one is refused, clearly

    @asynccontextmanager
    async def lifespan(_api: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            regulars.close()

    api = FastAPI(
        title="regulars",
        version=__version__,
        summary="Point-of-sale API of the regulars loyalty engine.",
        lifespan=lifespan,
    )
    api.state.regulars = regulars
    api.state.key_cache = KeyCache()
    api.state.write_gate = make_write_gate(regulars.engine)
    install_error_handlers(api)
    api.add_middleware(RequestContext)

    @api.get("/v1/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness for load balancers and scripts; needs no key."""
        return {"status": "ok"}

    @api.get("/healthz", tags=["health"])
    def healthz() -> JSONResponse:
        """Readiness: the database answers and its schema is the program's; 503 otherwise."""
        try:
            current = is_up_to_date(regulars.engine)
        except Exception as e:  # the database is unreachable: say so, never a 500
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            return JSONResponse({"status": "down", "database": reason[:200]}, status_code=503)
        body = {"status": "ok" if current else "outdated", "database": "ok"}
        body["schema"] = "current" if current else "outdated: run `regulars db upgrade`"
        return JSONResponse(body, status_code=200 if current else 503)

    @api.get("/v1/whoami", tags=["health"])
    def whoami(business: Business) -> dict[str, str | None]:
        """Which business and role a key acts for: a till checks its configuration with it."""
        return {"business": business.slug, "role": business.role or "owner"}

    api.include_router(pos.router)
    api.include_router(cards.router)
    api.include_router(loyalty.router)
    api.include_router(customers.router)
    api.include_router(orders.router)
    api.include_router(analytics.router)
    return api
