"""The transactional outbox: enqueue a message in the caller's transaction; deliver due ones
after commit, with leases, retries with backoff and a dead-letter state.

Delivery records its results in batches (one transaction per `record_every` messages), so a
worker killed mid-batch re-sends at most the messages of one unrecorded batch — the window the
README states and tests/integration/test_outbox.py measures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from regulars.domain.outbox import (
    LEASE,
    Channel,
    DeliveryFailed,
    DeliveryStatus,
    TemporaryFailure,
    gives_up,
    retry_after,
)
from regulars.services.context import BusinessContext
from regulars.store.message_tables import OutboxMessage
from regulars.store.uow import UnitOfWork

_T: Table = OutboxMessage.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Envelope:
    """A rendered message for one recipient, ready to be kept until delivered."""

    kind: str
    purpose: str  # marketing | service
    channel: Channel
    recipient: str
    language: str
    subject: str
    text: str
    html: str | None = None
    headers: Mapping[str, str] | None = None
    payload: Mapping[str, Any] | None = None
    customer_id: int | None = None
    dedupe_key: str | None = None


def enqueue(
    s: Session, ctx: BusinessContext, env: Envelope, *, now: datetime | None = None
) -> bool:
    """Write the message in the caller's transaction; False when its dedupe key was already
    used (the same occasion or event told before), so re-running a job sends nothing twice."""
    now = now or datetime.now(UTC)
    values = {
        "tenant_id": ctx.tenant_id,
        "customer_id": env.customer_id,
        "kind": env.kind,
        "purpose": env.purpose,
        "channel": env.channel.value,
        "recipient": env.recipient,
        "language": env.language,
        "subject": env.subject,
        "body_text": env.text,
        "body_html": env.html,
        "headers": dict(env.headers) if env.headers else None,
        "payload": dict(env.payload) if env.payload else None,
        "dedupe_key": env.dedupe_key,
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    dialect = s.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_T).values(values)
    ins = ins.on_conflict_do_nothing(index_elements=["tenant_id", "dedupe_key"])
    return s.execute(ins.returning(_T.c.id)).first() is not None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What a channel needs to send one message (no session, no ORM object)."""

    id: int
    tenant_id: int
    channel: str
    recipient: str
    subject: str
    text: str
    html: str | None
    headers: Mapping[str, str] | None
    payload: Mapping[str, Any] | None
    attempts: int


# A channel: opened once per delivery round (one SMTP connection for many messages), then
# send(m) for each; raises DeliveryFailed (TemporaryFailure / PermanentFailure) when it cannot
# deliver.
Sender = Callable[[Outgoing], None]
OpenChannel = Callable[[], AbstractContextManager[Sender]]


@dataclass
class DeliveryRun:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.dead


def claim(
    uow: UnitOfWork, *, now: datetime, limit: int, channels: Iterable[str] | None = None
) -> list[Outgoing]:
    """Take up to `limit` due messages (of these channels) under a lease (PostgreSQL: SKIP
    LOCKED, so several workers share the queue; SQLite: its write lock)."""
    due = or_(
        and_(_T.c.status == DeliveryStatus.PENDING.value, _T.c.next_attempt_at <= now),
        and_(_T.c.status == DeliveryStatus.SENDING.value, _T.c.leased_until < now),
    )
    if channels is not None:
        due = and_(due, _T.c.channel.in_(list(channels)))
    with uow.locking() as w:
        s = w.session
        q = select(_T).where(due).order_by(_T.c.next_attempt_at, _T.c.id).limit(limit)
        if s.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        rows = s.execute(q).mappings().all()
        if not rows:
            return []
        s.execute(
            update(_T)
            .where(_T.c.id.in_([r["id"] for r in rows]))
            .values(
                status=DeliveryStatus.SENDING.value,
                leased_until=now + LEASE,
                attempts=_T.c.attempts + 1,
            )
        )
    return [
        Outgoing(
            r["id"],
            r["tenant_id"],
            r["channel"],
            r["recipient"],
            r["subject"],
            r["body_text"],
            r["body_html"],
            r["headers"],
            r["payload"],
            r["attempts"] + 1,
        )
        for r in rows
    ]


_MARK_SENT = (
    update(_T)
    .where(_T.c.id == bindparam("mid"), _T.c.status == DeliveryStatus.SENDING.value)
    .values(status=DeliveryStatus.SENT.value, sent_at=bindparam("at"), leased_until=None)
)
_MARK_FAILED = (
    update(_T)
    .where(_T.c.id == bindparam("mid"), _T.c.status == DeliveryStatus.SENDING.value)
    .values(
        status=bindparam("new_status"),
        next_attempt_at=bindparam("next_at"),
        last_error=bindparam("error"),
        leased_until=None,
    )
)


def _record(uow: UnitOfWork, sent: list[dict[str, Any]], failed: list[dict[str, Any]]) -> None:
    if not sent and not failed:
        return
    with uow:
        s = uow.session
        if sent:
            s.execute(_MARK_SENT, sent)
        if failed:
            s.execute(_MARK_FAILED, failed)


def deliver_due(
    uow: UnitOfWork,
    channels: Mapping[str, OpenChannel],
    *,
    now: datetime | None = None,
    limit: int = 500,
    record_every: int = 50,
) -> DeliveryRun:
    """Send what is due now, once: claim, send through each message's channel, record.
    Messages for a channel that is not configured wait (pending) until it is."""
    now = now or datetime.now(UTC)
    run = DeliveryRun()
    taken = claim(uow, now=now, limit=limit, channels=channels.keys())
    by_channel: dict[str, list[Outgoing]] = {}
    for m in taken:
        by_channel.setdefault(m.channel, []).append(m)
    for name, messages in by_channel.items():
        _deliver(uow, channels[name], messages, run, now, record_every)
    return run


def _deliver(
    uow: UnitOfWork,
    opener: OpenChannel,
    messages: list[Outgoing],
    run: DeliveryRun,
    now: datetime,
    record_every: int,
) -> None:
    """One channel session (one SMTP connection) for all; results recorded every
    `record_every` messages, so a killed worker re-sends at most that many."""
    sent: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    done = 0
    try:
        with opener() as send:
            for m in messages:
                try:
                    send(m)
                except DeliveryFailed as e:
                    _fail(run, failed, m, e, now)
                except Exception as e:  # a channel's unforeseen error: retry the message
                    _fail(run, failed, m, TemporaryFailure(f"{type(e).__name__}: {e}"), now)
                else:
                    sent.append({"mid": m.id, "at": datetime.now(UTC)})
                    run.sent += 1
                done += 1
                if len(sent) + len(failed) >= record_every:
                    _record(uow, sent, failed)
                    sent, failed = [], []
    except Exception as e:  # the channel itself failed (server down): the rest wait
        why = e if isinstance(e, DeliveryFailed) else TemporaryFailure(f"{type(e).__name__}: {e}")
        for m in messages[done:]:
            _fail(run, failed, m, why, now)
    _record(uow, sent, failed)


def _fail(
    run: DeliveryRun, failed: list[dict[str, Any]], m: Outgoing, e: DeliveryFailed, now: datetime
) -> None:
    dead = gives_up(m.attempts, permanent=e.permanent)
    failed.append(
        {
            "mid": m.id,
            "new_status": (DeliveryStatus.DEAD if dead else DeliveryStatus.PENDING).value,
            "next_at": now + retry_after(m.attempts),
            "error": e.reason[:500],
        }
    )
    if dead:
        run.dead += 1
    else:
        run.retried += 1
    if len(run.errors) < 20:
        run.errors.append(f"message {m.id}: {e.reason}")
