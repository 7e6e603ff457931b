"""`regulars serve` in a real process, answering over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import served_url
from tests.e2e.cli import run_json


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def served(request: pytest.FixtureRequest, db_url: str) -> Iterator[str]:
    """`regulars serve` as in production: on PostgreSQL as the application role."""
    port = _free_port()
    url = served_url(request, db_url)
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("REGULARS_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "regulars", "serve", "--db", url, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # generous: the CI machine may be busy
        while True:
            try:
                if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                out = proc.communicate(timeout=15)[0]
                pytest.fail(f"`regulars serve` did not come up: {out}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.slow
def test_serve_answers_over_http_with_a_key_from_the_cli(db_url: str, served: str) -> None:
    key = run_json("api-key", "create", "--name", "till", db_url=db_url)["key"]
    slow = 60  # seconds: a loaded CI machine, not a slow server, is what this allows for
    ok = httpx.get(f"{served}/v1/whoami", headers={"Authorization": f"Bearer {key}"}, timeout=slow)
    assert ok.status_code == 200 and ok.json() == {"business": "default", "role": "cashier"}
    refused = httpx.get(f"{served}/v1/whoami", timeout=slow)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert httpx.get(f"{served}/openapi.json", timeout=slow).json()["info"]["title"] == "regulars"
