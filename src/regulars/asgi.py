"""The whole web server: the HTTP API and the web pages in one ASGI application.

Above every layer (the API and the web pages are siblings that do not import each other), and
what `regulars serve` hands to uvicorn by its import string.
"""

from __future__ import annotations

from fastapi import FastAPI

from regulars.api.app import create_app
from regulars.config import Settings
from regulars.web.auth import router as web_router
from regulars.web.optout import router as optout_router


def application() -> FastAPI:
    """Factory for uvicorn: settings from REGULARS_* variables."""
    app = create_app(Settings())
    app.include_router(web_router)
    app.include_router(optout_router)
    return app
