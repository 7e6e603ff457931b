"""Every POST carries an `Idempotency-Key`: a till that retries after a timeout must not pay twice.

The key is handed to the loyalty service, which stores it with the request and answers a repeat
with the first result (or refuses a different request under the same key).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from regulars.api.errors import ApiProblem

MAX_KEY_LENGTH = 200


async def idempotency_key(
    idempotency_key: Annotated[str | None, Header()] = None,
) -> str:
    key = (idempotency_key or "").strip()
    if not key:
        raise ApiProblem(
            400,
            "idempotency_key_required",
            "every POST needs an `Idempotency-Key` header (any unique string, e.g. a UUID)",
        )
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApiProblem(
            400,
            "idempotency_key_invalid",
            f"the Idempotency-Key must be printable and at most {MAX_KEY_LENGTH} characters",
        )
    return key


IdempotencyKey = Annotated[str, Depends(idempotency_key)]
