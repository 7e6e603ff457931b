"""Every error leaves the API as `application/problem+json` (RFC 9457) with a stable `code`.

One mapping from the DomainError hierarchy to HTTP statuses, so a POS client can branch on
`code` and the status alone; bugs are logged and answered with a problem 500, never a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from regulars.domain.errors import Conflict, DomainError, NotFound, ValidationError

log = logging.getLogger("regulars.api")

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:regulars:problem:"

# Statuses by the kind of refusal (documented in docs/api.md, "Errors").
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    422: "Unprocessable content",
    500: "Internal server error",
    503: "Service unavailable",
}
_STATUS_BY_CODE = {"schema_outdated": 503, "forbidden": 403, "precondition_failed": 412}
_OWN_CODES = {"invalid_amount", "invalid_text"}


class Problem(BaseModel):
    """The body of every error (RFC 9457); `code` is stable, `detail` is for people."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None
    errors: list[dict[str, Any]] | None = None


def _documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        s: {
            "model": Problem,
            "description": _TITLES.get(s, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }


# The errors any authenticated route may answer with, for the OpenAPI document.
PROBLEM_RESPONSES = _documented(400, 401, 403, 404, 409, 412, 413, 422, 503)


class ApiProblem(Exception):
    """An error of the HTTP layer itself (missing key, missing Idempotency-Key…)."""

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers


def status_of(error: DomainError) -> int:
    """Bad input → 422, unknown thing → 404, anything the current state refuses → 409."""
    if error.code in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[error.code]
    if isinstance(error, ValidationError):
        return 422
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Conflict):
        return 409
    return 409  # a refusal: insufficient balance, blocked card, refund above the order…


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem(status_of(exc), exc.code, exc.message, field=exc.field)


async def _api_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiProblem)
    return problem(exc.status, exc.code, exc.detail, headers=exc.headers)


def _where(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path") else loc
    return ".".join(str(p) for p in parts)


async def _request_invalid(_request: Request, exc: Exception) -> JSONResponse:
    """Malformed JSON is a 400; well-formed JSON that breaks the schema is a 422."""
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem(400, "malformed_json", "the request body is not valid JSON")
    details = [{"field": _where(tuple(e.get("loc", ()))), "message": e["msg"]} for e in errors]
    first = details[0] if details else {"field": "", "message": "invalid request"}
    detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    # Our own checks name their code (e.g. a float amount → invalid_amount, like the service).
    kind = errors[0].get("type") if errors else None
    code = kind if kind in _OWN_CODES else "invalid"
    return problem(422, code, detail, errors=details)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return problem(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}))


async def _bug(request: Request, exc: Exception) -> JSONResponse:
    """The last resort: log the traceback for us, tell the client only that it was our fault."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal_error", "an unexpected error occurred; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(ApiProblem, _api_problem)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _bug)
