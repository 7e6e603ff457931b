"""The outbox on SQLite and PostgreSQL: written with its cause, delivered once after commit,
retried with backoff, dead-lettered, never lost when a worker dies.

The channels here are recording doubles of the outside world (a mail server that accepts,
refuses or is down); the real SMTP and webhook channels have their own tests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from regulars.bootstrap import App
from regulars.domain.outbox import (
    LEASE,
    MAX_ATTEMPTS,
    Channel,
    PermanentFailure,
    TemporaryFailure,
)
from regulars.services.context import BusinessContext
from regulars.services.outbox import Envelope, Outgoing, Sender, claim, deliver_due, enqueue
from regulars.store.message_tables import OutboxMessage

T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def envelope(n: int, dedupe: str | None = None) -> Envelope:
    return Envelope(
        kind="birthday",
        purpose="marketing",
        channel=Channel.EMAIL,
        recipient=f"guest{n}@example.vn",
        language="vi",
        subject=f"Chúc mừng sinh nhật {n}",
        text="…",
        dedupe_key=dedupe,
    )


def fill(app: App, ctx: BusinessContext, n: int) -> None:
    with app.uow() as uow:
        for i in range(n):
            enqueue(uow.session, ctx, envelope(i), now=T0)


class Inbox:
    """A mail server double: records what it accepted; can refuse or be down."""

    def __init__(self) -> None:
        self.accepted: list[int] = []
        self.refuse: set[str] = set()
        self.down = False
        self.lock = threading.Lock()

    @contextmanager
    def open(self) -> Iterator[Sender]:
        if self.down:
            raise TemporaryFailure("connection refused")

        def send(m: Outgoing) -> None:
            if m.recipient in self.refuse:
                raise PermanentFailure("550 no such user")
            with self.lock:
                self.accepted.append(m.id)

        yield send


def statuses(app: App) -> dict[str, int]:
    with app.uow() as uow:
        rows = uow.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    return {s: n for s, n in rows}


def test_a_dedupe_key_is_written_once(app: App, ctx: BusinessContext) -> None:
    with app.uow() as uow:
        assert enqueue(uow.session, ctx, envelope(1, "birthday:2026:1"), now=T0)
        assert not enqueue(uow.session, ctx, envelope(1, "birthday:2026:1"), now=T0)
    with app.uow() as uow:  # a second run of the same daily job, in its own transaction
        assert not enqueue(uow.session, ctx, envelope(1, "birthday:2026:1"), now=T0)
    assert statuses(app) == {"pending": 1}


def test_nothing_is_written_when_the_cause_rolls_back(app: App, ctx: BusinessContext) -> None:
    with pytest.raises(RuntimeError), app.uow() as uow:
        enqueue(uow.session, ctx, envelope(1), now=T0)
        raise RuntimeError("the order failed to save")
    assert statuses(app) == {}


def test_due_messages_are_sent_once_and_recorded(app: App, ctx: BusinessContext) -> None:
    fill(app, ctx, 7)
    inbox = Inbox()
    run = deliver_due(app.uow(), {"email": inbox.open}, now=T0, record_every=3)
    assert (run.sent, run.retried, run.dead) == (7, 0, 0)
    assert sorted(inbox.accepted) == list(range(1, 8))
    assert deliver_due(app.uow(), {"email": inbox.open}, now=T0 + LEASE * 2).handled == 0
    assert statuses(app) == {"sent": 7}


def test_a_server_that_is_down_gets_the_messages_later_with_backoff(
    app: App, ctx: BusinessContext
) -> None:
    fill(app, ctx, 3)
    inbox = Inbox()
    inbox.down = True
    run = deliver_due(app.uow(), {"email": inbox.open}, now=T0)
    assert (run.sent, run.retried) == (0, 3) and "connection refused" in run.errors[0]
    # Not due again before the first backoff (1 minute), due after it.
    assert (
        deliver_due(app.uow(), {"email": inbox.open}, now=T0 + timedelta(seconds=59)).handled == 0
    )
    inbox.down = False
    run = deliver_due(app.uow(), {"email": inbox.open}, now=T0 + timedelta(minutes=1))
    assert run.sent == 3 and statuses(app) == {"sent": 3}


def test_permanent_refusals_and_used_up_tries_are_dead_letters(
    app: App, ctx: BusinessContext
) -> None:
    fill(app, ctx, 2)
    inbox = Inbox()
    inbox.refuse = {"guest0@example.vn"}
    run = deliver_due(app.uow(), {"email": inbox.open}, now=T0)
    assert (run.sent, run.dead) == (1, 1)
    with app.uow() as uow:
        dead = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == "dead")
        ).one()
    assert dead.recipient == "guest0@example.vn" and "550" in (dead.last_error or "")

    fill(app, ctx, 1)  # a message whose server stays down
    inbox.down = True
    at = T0
    for _ in range(MAX_ATTEMPTS):
        at += timedelta(hours=7)  # past any backoff
        deliver_due(app.uow(), {"email": inbox.open}, now=at)
    assert statuses(app) == {"sent": 1, "dead": 2}


def test_a_message_for_a_channel_not_configured_waits(app: App, ctx: BusinessContext) -> None:
    fill(app, ctx, 1)
    assert deliver_due(app.uow(), {"webhook": Inbox().open}, now=T0).handled == 0
    assert statuses(app) == {"pending": 1}  # no try used up: it goes once e-mail is set up


def test_a_worker_that_dies_loses_nothing(app: App, ctx: BusinessContext) -> None:
    """Killed after sending some of a batch: the lease runs out, everything goes out; only
    messages sent but not yet recorded (at most one batch) go twice."""
    fill(app, ctx, 10)
    inbox = Inbox()

    @contextmanager
    def dies_after_eight() -> Iterator[Sender]:
        with inbox.open() as send:

            def once(m: Outgoing) -> None:
                if len(inbox.accepted) == 8:
                    raise SystemExit("SIGKILL")  # not an Exception: nothing is recorded
                send(m)

            yield once

    with pytest.raises(SystemExit):
        deliver_due(app.uow(), {"email": dies_after_eight}, now=T0, record_every=5)
    assert statuses(app) == {"sent": 5, "sending": 5}
    assert deliver_due(app.uow(), {"email": inbox.open}, now=T0 + LEASE / 2).handled == 0
    deliver_due(app.uow(), {"email": inbox.open}, now=T0 + LEASE + timedelta(seconds=1))
    assert set(inbox.accepted) == set(range(1, 11))  # nothing lost
    assert len(inbox.accepted) - 10 == 3  # the unrecorded part of one batch went twice
    assert statuses(app) == {"sent": 10}


def test_two_workers_share_the_queue_without_sending_twice(app: App, ctx: BusinessContext) -> None:
    fill(app, ctx, 120)
    inbox = Inbox()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            while deliver_due(app.uow(), {"email": inbox.open}, now=T0, limit=20).handled:
                pass
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(inbox.accepted) == list(range(1, 121))


def test_claim_leases_and_counts_the_attempt(app: App, ctx: BusinessContext) -> None:
    fill(app, ctx, 2)
    taken = claim(app.uow(), now=T0, limit=1)
    assert [(m.id, m.attempts) for m in taken] == [(1, 1)]
    assert claim(app.uow(), now=T0, limit=5)[0].id == 2  # the leased one is not taken again
