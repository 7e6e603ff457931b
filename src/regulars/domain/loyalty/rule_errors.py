"""Refusals of the pure loyalty rules, each with a stable code for the CLI and the API.

Bad configuration or input is a `ValidationError` (exit 2, HTTP 422); a voucher that exists but
may not be used now is a `VoucherRefused` (exit 1, HTTP 409), with the reason in its code.
"""

from __future__ import annotations

from regulars.domain.errors import DomainError, ValidationError


class InvalidPercent(ValidationError):
    code = "invalid_percent"


class InvalidTiers(ValidationError):
    code = "invalid_tiers"


class InvalidProgram(ValidationError):
    code = "invalid_program"


class InvalidBasket(ValidationError):
    code = "invalid_basket"


class UnknownTier(ValidationError):
    code = "unknown_tier"


class InvalidVoucher(ValidationError):
    """A voucher definition that cannot work (negative value, dates in the wrong order…)."""

    code = "invalid_voucher"


class InvalidVoucherCode(ValidationError):
    """A typed code that is malformed or fails its check character (a typo, not a refusal)."""

    code = "invalid_voucher_code"


class InvalidRebateScheme(ValidationError):
    code = "invalid_rebate_scheme"


class InvalidPeriod(ValidationError):
    code = "invalid_period"


class VoucherRefused(DomainError):
    """A real voucher that may not be used on this order now; the subclass says why."""

    code = "voucher_refused"


class VoucherNotYetValid(VoucherRefused):
    code = "voucher_not_yet_valid"


class VoucherExpired(VoucherRefused):
    code = "voucher_expired"


class VoucherAlreadyUsed(VoucherRefused):
    code = "voucher_already_used"


class VoucherCustomerLimit(VoucherRefused):
    code = "voucher_customer_limit"


class VoucherMinSpend(VoucherRefused):
    code = "voucher_min_spend"


class RedeemAboveCap(DomainError):
    """More of the balance asked for than the program lets an order be paid with."""

    code = "redeem_above_cap"
