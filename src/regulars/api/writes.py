"""One writer at a time per process on SQLite: the database allows only one anyway.

Without this, concurrent requests meet SQLite's busy handler, which sleeps and retries, so a
burst gets unfair multi-second tails. A lock in the process queues writers promptly instead.
On PostgreSQL writers run in parallel and lock only the rows they touch.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine


def make_write_gate(engine: Engine) -> AbstractContextManager[object]:
    return threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()


async def write_gate(request: Request) -> AbstractContextManager[object]:
    gate: AbstractContextManager[object] = request.app.state.write_gate
    return gate


WriteGate = Annotated[AbstractContextManager[object], Depends(write_gate)]
