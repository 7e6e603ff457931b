"""Nightly housekeeping: delete what was kept only for a while (stored API answers, ended web
sessions), so personal data does not linger in side tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, or_

from regulars.services.sessions import IDLE
from regulars.store.replay_tables import ANSWERS_KEPT, StoredResponse
from regulars.store.uow import UnitOfWork
from regulars.store.web_tables import WebSession


@dataclass(frozen=True, slots=True)
class PruneReport:
    idempotent_answers: int
    web_sessions: int


def prune(uow: UnitOfWork, *, now: datetime | None = None) -> PruneReport:
    """Every business's expired stored answers and ended sessions (an operator's job)."""
    now = now or datetime.now(UTC)
    with uow:
        s = uow.session
        answers = s.execute(
            delete(StoredResponse).where(StoredResponse.created_at < now - ANSWERS_KEPT)
        )
        sessions = s.execute(
            delete(WebSession).where(
                or_(WebSession.expires_at <= now, WebSession.last_seen_at < now - IDLE)
            )
        )
    return PruneReport(_count(answers), _count(sessions))


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)  # a DELETE's CursorResult
