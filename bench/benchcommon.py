"""What every benchmark needs: a throw-away PostgreSQL database, the machine's description, and
its own section of docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
PG_ADMIN = os.environ.get(
    "REGULARS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def pg_database(name: str) -> str | None:
    """A fresh database on the server, or None (with a one-line message) when unreachable."""
    try:
        eng = create_engine(
            PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        with eng.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
        eng.dispose()
    except Exception as e:  # any reason: say it and go on without PostgreSQL
        why = str(e).splitlines()[0]
        print(f"PostgreSQL skipped: not reachable at {make_url(PG_ADMIN).host} ({why})")
        return None
    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(name: str) -> None:
    eng = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_api(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """`regulars serve` on a free port in a subprocess; returns it and its base URL once it
    answers its health check."""
    port = free_port()
    cmd = [sys.executable, "-m", "regulars", "serve", "--db", url, "--port", str(port)]
    cmd += ["--workers", str(workers), "--no-access-log"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the API did not start")


def write_docs(section: str) -> None:
    """Replace (or add) the section whose heading opens `section`; the others stay as they are."""
    heading = section.splitlines()[0]
    assert heading.startswith("## "), "a section starts with its '## ' heading"
    doc = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    start = doc.find(f"\n{heading}\n")
    if start >= 0:
        end = doc.find("\n## ", start + 1)
        doc = doc[:start] + "\n" + section + (doc[end:] if end >= 0 else "\n")
    else:
        doc = doc.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.write_text(doc, encoding="utf-8")
    print(f"written to {DOCS.relative_to(ROOT)}")
