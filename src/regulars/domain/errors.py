"""One error hierarchy with stable codes: the API maps them to 4xx, the CLI to exit codes."""

from __future__ import annotations


class DomainError(Exception):
    """A request the business rules refuse; `code` is stable and safe to show to users."""

    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(DomainError):
    code = "invalid"


class InvalidPhone(ValidationError):
    code = "invalid_phone"


class InvalidEmail(ValidationError):
    code = "invalid_email"


class InvalidName(ValidationError):
    code = "invalid_name"


class InvalidMoney(ValidationError):
    code = "invalid_money"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class InvalidTransition(DomainError):
    """An order status change that the lifecycle does not allow."""

    code = "invalid_transition"


class MergeRefused(DomainError):
    code = "merge_refused"


class LoginRefused(DomainError):
    """Wrong e-mail or password, or a locked account: deliberately one vague message."""

    code = "login_refused"


class Forbidden(DomainError):
    """The actor's role does not allow this."""

    code = "forbidden"


class PreconditionFailed(DomainError):
    """The thing changed since the caller read it (a stale If-Match): re-read and retry."""

    code = "precondition_failed"
