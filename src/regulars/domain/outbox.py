"""Delivery rules of the outbox: the states a message goes through and when to try again.

A message is written in the same transaction as its cause (`pending`), taken by a worker with
a lease (`sending`), and ends `sent`, or `dead` after a permanent refusal or too many tries.
A lease that runs out (the worker died) makes the message due again: nothing is lost, and a
message is sent twice only if the worker died between the server's acceptance and the record.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"  # kept with its last error, for a person to look at


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    TASK = "task"  # a person should call or visit: becomes a task for the manager


MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=6)
LEASE = timedelta(minutes=5)  # a worker that holds a message longer is presumed dead


def retry_after(attempts: int) -> timedelta:
    """Exponential backoff: 1, 2, 4 … minutes after the 1st, 2nd, 3rd … failure, at most 6 h
    (eight tries span about four hours: a mail server's maintenance window, not a lost day)."""
    if attempts < 1:
        raise ValueError("attempts start at 1")
    return min(FIRST_RETRY * 2 ** (attempts - 1), LAST_RETRY)


def gives_up(attempts: int, *, permanent: bool) -> bool:
    """Dead-letter after a permanent refusal (a 5xx for the recipient, a 4xx from a webhook) or
    when the tries are used up."""
    return permanent or attempts >= MAX_ATTEMPTS


class DeliveryFailed(Exception):
    """A channel could not deliver; `permanent` says whether trying again can help."""

    permanent = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(DeliveryFailed):
    """The server is down, busy or said 4xx: try again later."""


class PermanentFailure(DeliveryFailed):
    """The recipient or the request is refused for good (SMTP 5xx, webhook 4xx)."""

    permanent = True
