"""Why the ledger refuses an operation: stable codes for the API, the CLI and scripts.

The pure rules' refusals (invalid_period, redeem_above_cap, invalid_tiers…) are in `rule_errors`.
"""

from __future__ import annotations

from regulars.domain.errors import Conflict, DomainError, NotFound, ValidationError


class InsufficientBalance(DomainError):
    """A debit larger than what the card holds: balances never go negative."""

    code = "insufficient_balance"


class IdempotencyConflict(Conflict):
    """The same idempotency key came back with a different request."""

    code = "idempotency_conflict"


class CardBlocked(DomainError):
    """The card is blocked or replaced: it can neither earn nor spend."""

    code = "card_blocked"


class UnknownCard(NotFound):
    code = "unknown_card"


class UnknownProgram(NotFound):
    code = "unknown_program"


class UnknownOrder(NotFound):
    """No loyalty entry names this order."""

    code = "unknown_order"


class CurrencyMismatch(ValidationError):
    """An amount in a currency other than the program's."""

    code = "currency_mismatch"


class InvalidAmount(ValidationError):
    """Negative, zero where a value is needed, malformed or too precise."""

    code = "invalid_amount"


class InvalidCardNumber(ValidationError):
    code = "invalid_card_number"


class RefundExceedsOrder(DomainError):
    """Refunds of one order may not add up to more than the order."""

    code = "refund_exceeds_order"


class OrderNotPending(DomainError):
    """Paid or cancelled already: nothing pending to release."""

    code = "order_not_pending"


class ProgramExists(Conflict):
    code = "program_exists"


class NotAMember(DomainError):
    """The business is not a member of the program's coalition."""

    code = "not_a_member"
