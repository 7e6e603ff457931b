"""`regulars worker --once` delivers the outbox through a real SMTP server started by the
test: names survive, a refused address is a dead letter, nothing goes twice, and a server
that is down only delays the mail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from regulars.bootstrap import App
from regulars.domain.messages import MessageKind
from regulars.domain.outbox import Channel
from regulars.messaging.email import build_email, kept_headers
from regulars.messaging.rendering import render
from regulars.messaging.samples import sample_context
from regulars.messaging.webhook import verify_signature
from regulars.services.context import BusinessContext
from regulars.services.outbox import Envelope, enqueue
from regulars.store.message_tables import OutboxMessage
from tests.fixtures.mail import MailServer, run_worker
from tests.fixtures.webhooks import SECRET, Receiver


def queue(app: App, ctx: BusinessContext, to: str, name: str) -> str:
    """An order-paid notice to `to`, queued as the order's transaction would; its Message-ID."""
    rendered = render(MessageKind.ORDER_PAID, "vi", sample_context(MessageKind.ORDER_PAID))
    msg = build_email(rendered, sender="hello@cafe.example", recipient=to, recipient_name=name)
    headers = kept_headers(msg)
    with app.uow() as uow:
        enqueue(
            uow.session,
            ctx,
            Envelope(
                kind=rendered.kind.value,
                purpose="service",
                channel=Channel.EMAIL,
                recipient=to,
                language="vi",
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                headers=headers,
            ),
        )
    return headers["Message-ID"]


def work(db_url: str, server: MailServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    delivery: dict[str, Any] = run_worker(db_url, server, monkeypatch)["delivery"]
    return delivery


def test_the_worker_delivers_once_and_dead_letters_refusals(
    app: App,
    ctx: BusinessContext,
    db_url: str,
    mail_server: MailServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hoa = queue(app, ctx, "hoa@example.vn", "Nguyễn Thị Hoa")
    queue(app, ctx, "lan@example.vn", "Trần Thị Lan")
    queue(app, ctx, "nobody@refused.example", "Nobody")
    out = work(db_url, mail_server, monkeypatch)
    assert (out["sent"], out["dead"]) == (2, 1)
    got = {m["Message-ID"]: m for m in mail_server.recorder.messages}
    assert str(got[hoa]["To"]) == "Nguyễn Thị Hoa <hoa@example.vn>"
    assert str(got[hoa]["From"]) == "hello@cafe.example"  # as built when queued
    assert got[hoa].get_body(("plain",)) is not None and got[hoa].get_body(("html",)) is not None
    again = work(db_url, mail_server, monkeypatch)
    assert again["sent"] == 0 and len(mail_server.recorder.messages) == 2


def test_mail_waits_while_the_server_is_down(
    app: App,
    ctx: BusinessContext,
    db_url: str,
    mail_server: MailServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue(app, ctx, "hoa@example.vn", "Nguyễn Thị Hoa")
    mail_server.stop()
    out = work(db_url, mail_server, monkeypatch)
    assert (out["sent"], out["retried"]) == (0, 1)
    with app.uow() as uow:  # the backoff passes
        uow.session.execute(
            update(OutboxMessage).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    mail_server.start()
    assert work(db_url, mail_server, monkeypatch)["sent"] == 1
    assert [str(m["To"]) for m in mail_server.recorder.messages] == [
        "Nguyễn Thị Hoa <hoa@example.vn>"
    ]
    with app.uow() as uow:
        row = uow.session.scalars(select(OutboxMessage)).one()
    assert row.status == "sent" and row.attempts == 2 and row.last_error


def test_webhooks_are_signed_and_a_failing_receiver_is_retried(
    app: App,
    ctx: BusinessContext,
    db_url: str,
    mail_server: MailServer,
    webhook_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for status in (200, 500):
        with app.uow() as uow:
            enqueue(
                uow.session,
                ctx,
                Envelope(
                    kind="order_shipped",
                    purpose="service",
                    channel=Channel.WEBHOOK,
                    recipient=f"{webhook_url}/{status}",
                    language="th",
                    subject="",
                    text="",
                    payload={"to": "+66812345678", "text": "คุณสมชาย พัสดุของคุณถูกส่งแล้ว"},
                ),
            )
    monkeypatch.setenv("REGULARS_WEBHOOK_SECRET", SECRET)
    out = work(db_url, mail_server, monkeypatch)
    assert (out["sent"], out["retried"]) == (1, 1)
    bodies = [(json.loads(body), header) for body, header in Receiver.received]
    assert len(bodies) == 2  # the 500 was tried once, and waits for its retry
    for body, header in Receiver.received:
        verify_signature(body, header, SECRET)
    assert bodies[0][0]["text"] == "คุณสมชาย พัสดุของคุณถูกส่งแล้ว"
