"""Outbox benchmark (issue 7): enqueue and deliver N messages to a local SMTP server, against a
bare `smtplib` loop sending the same messages over one connection, in the same run.

The SMTP server (aiosmtpd with a handler that accepts and drops) runs in its own process, so
neither side shares a core with it more than the other. Ours is `enqueue` of every message
(one transaction) and then `deliver_due` rounds through the App's e-mail channel until the
queue is empty — claims, leases, one SMTP connection per batch, results recorded per batch.
The reference sends the same prebuilt messages with `smtplib.SMTP.send_message` in a loop.
Target: ours ≥ 0.8 × the bare loop's messages/s.

    python bench/outbox_bench.py [--messages 100000] [--db sqlite|postgresql] [--write-docs]
"""

from __future__ import annotations

import argparse
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchcommon import drop_pg_database, machine, pg_database, write_docs
from regulars.bootstrap import make_app
from regulars.domain.messages import MessageKind
from regulars.domain.outbox import Channel
from regulars.messaging.email import assemble, build_email, kept_headers
from regulars.messaging.rendering import render
from regulars.messaging.samples import sample_context
from regulars.services.businesses import ensure_business
from regulars.services.outbox import Envelope, deliver_due, enqueue

DB = "regulars_bench_outbox"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink",
         "-l", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=2).quit()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the SMTP server did not start")


def envelopes(n: int) -> list[Envelope]:
    kind = MessageKind.ORDER_SHIPPED
    rendered = render(kind, "vi", sample_context(kind))
    out = []
    for i in range(n):
        to = f"guest{i}@example.vn"
        mail = build_email(rendered, sender="hello@cafe.example", recipient=to)
        out.append(
            Envelope(
                kind=kind.value, purpose="service", channel=Channel.EMAIL, recipient=to,
                language="vi", subject=rendered.subject, text=rendered.text,
                html=rendered.html, headers=kept_headers(mail),
            )
        )  # fmt: skip
    return out


def bare_loop(port: int, items: list[Envelope]) -> float:
    """The reference: the same messages, assembled and sent one by one over one connection."""
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for e in items:
            smtp.send_message(
                assemble(
                    e.headers or {}, sender="hello@cafe.example", recipient=e.recipient,
                    subject=e.subject, text=e.text, html=e.html,
                )
            )  # fmt: skip
    return time.perf_counter() - start


def ours(url: str, port: int, items: list[Envelope]) -> tuple[float, float]:
    app = make_app(url)
    app.settings = app.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    app.upgrade_schema()
    ctx = ensure_business(app.uow(), slug="bench", default_currency="EUR")
    start = time.perf_counter()
    now = datetime.now(UTC)
    with app.uow() as uow:
        for e in items:
            enqueue(uow.session, ctx, e, now=now)
    queued = time.perf_counter() - start
    channels = app.channels()
    start = time.perf_counter()
    sent = 0
    while True:
        run = deliver_due(app.uow(), channels, limit=1000)
        sent += run.sent
        if run.handled == 0:
            break
        if run.retried or run.dead:
            raise SystemExit(f"delivery failed: {run.errors[:3]}")
    delivered = time.perf_counter() - start
    app.close()
    assert sent == len(items), (sent, len(items))
    return queued, delivered


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--write-docs", action="store_true")
    a = ap.parse_args()
    port = free_port()
    server = start_server(port)
    tmp = tempfile.TemporaryDirectory()
    try:
        items = envelopes(a.messages)
        if a.db == "postgresql":
            url = pg_database(DB)
            if url is None:
                raise SystemExit("PostgreSQL is not reachable")
        else:
            url = f"sqlite:///{Path(tmp.name) / 'outbox.db'}"
        bare = bare_loop(port, items)
        queued, delivered = ours(url, port, items)
    finally:
        server.terminate()
        server.wait(timeout=15)
        if a.db == "postgresql":
            drop_pg_database(DB)
        tmp.cleanup()
    n = a.messages
    rows = [
        ("bare smtplib loop (reference)", f"{n / bare:,.0f}", "1.00"),
        ("ours: deliver from the outbox", f"{n / delivered:,.0f}", f"{bare / delivered:.2f}"),
        (
            "ours: enqueue + deliver",
            f"{n / (queued + delivered):,.0f}",
            f"{bare / (queued + delivered):.2f}",
        ),
    ]
    table = "\n".join(f"| {w} | {r} | {x} |" for w, r, x in rows)
    section = (
        f"## Outbox delivery ({a.db})\n\n"
        f"`python bench/outbox_bench.py --messages {n} --db {a.db}` on "
        f"{datetime.now(UTC):%Y-%m-%d}, {machine()}.\n\n"
        f"{n:,} e-mails (Vietnamese order-shipped notices, text + HTML) to a local aiosmtpd "
        "server that accepts and drops them, in its own process. Target: ours ≥ 0.8 × the "
        "bare loop.\n\n"
        "| what | messages/s | ratio to the bare loop |\n|---|---|---|\n"
        f"{table}\n"
    )
    print(section)
    if a.write_docs:
        write_docs(section)


if __name__ == "__main__":
    main()
