"""Opaque cursors for keyset pagination: a page continues after the last row of the one
before, so rows added meanwhile neither repeat nor vanish (unlike offsets)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from regulars.api.errors import ApiProblem


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, kind: str) -> str:
    try:
        found, _, value = base64.urlsafe_b64decode(cursor.encode() + b"==").decode().partition(":")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        found, value = "", ""
    if found != kind or not value:
        raise ApiProblem(400, "invalid_cursor", "the cursor is not one this API gave")
    return value


def id_cursor(last_id: int) -> str:
    return _encode(f"c:{last_id}")


def after_id(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    value = _decode(cursor, "c")
    if not value.isdigit():
        raise ApiProblem(400, "invalid_cursor", "the cursor is not one this API gave")
    return int(value)


def time_cursor(at: datetime, last_id: int) -> str:
    return _encode(f"t:{at.isoformat()}|{last_id}")


def before_time(cursor: str | None) -> tuple[datetime, int] | None:
    if cursor is None:
        return None
    at, _, oid = _decode(cursor, "t").partition("|")
    try:
        return datetime.fromisoformat(at), int(oid)
    except ValueError:
        raise ApiProblem(400, "invalid_cursor", "the cursor is not one this API gave") from None
