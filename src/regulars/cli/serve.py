"""`regulars serve`: run the HTTP API with uvicorn.

The app is named by its import string, so uvicorn can start several worker processes, and the
command line does not import the API package (they are sibling layers).
"""

from __future__ import annotations

import copy
import os
from typing import Annotated, Any

import typer

from regulars.cli.common import DbOption, err_console, open_app

APP_FACTORY = "regulars.asgi:application"


def _log_config(access_log: bool) -> dict[str, Any]:
    """uvicorn's logging, with our one JSON line per request (request id, method, path,
    status, milliseconds) instead of its own access line."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["json_line"] = {"format": "%(message)s"}
    config["handlers"]["requests"] = {
        "class": "logging.StreamHandler",
        "formatter": "json_line",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["regulars.api.access"] = {
        "handlers": ["requests"],
        "level": "INFO" if access_log else "WARNING",
        "propagate": False,
    }
    return config


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (about one per CPU core).")
    ] = 1,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = True,
) -> None:
    """Serve the HTTP API (see docs/api.md) and the web sign-in; stop with Ctrl-C."""
    import uvicorn

    if db:
        os.environ["REGULARS_DATABASE_URL"] = db  # the workers read their settings from here
    with open_app(db) as app:
        app.ready_schema()  # once, before the workers start: a new database gets its schema
    err_console.print(f"regulars API on http://{host}:{port}/v1 (docs at /docs)", highlight=False)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # ours instead: one JSON line per request with its request id
        log_config=_log_config(access_log),
        log_level="info",
    )
