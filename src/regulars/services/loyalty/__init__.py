"""The loyalty engine's use cases: programs, cards, earning, spending, refunds, expiry, audit.

Every function takes a `UnitOfWork` and a `BusinessContext` first, then keyword-only arguments,
and returns a frozen dataclass from `results`. Amounts go in as Decimal or decimal text and come
back as Decimal in the program's unit (its currency, or points). Refusals are DomainErrors with
stable codes (domain/loyalty/errors.py, rule_errors.py). Writes a client may retry take an
`idempotency_key`: the same key and request returns the first result (`replayed=True`) and
writes nothing; the same key with another request raises `idempotency_conflict`.

This module is the stable surface for the CLI, the POS API and benchmarks.
"""

from regulars.services.loyalty.audit import verify_ledger
from regulars.services.loyalty.bonuses import ReferralInfo, pay_referrals, record_referral
from regulars.services.loyalty.cards import (
    block_card,
    card_balance,
    find_cards,
    issue_card,
    replace_card,
)
from regulars.services.loyalty.earning import OrderAlreadyAccrued, accrue, quote
from regulars.services.loyalty.expiry import expire_lots, expiring_soon
from regulars.services.loyalty.order_events import cancel_order, mark_paid
from regulars.services.loyalty.programs import add_member, create_program, show_program
from regulars.services.loyalty.rebates import (
    RebateSchemeInfo,
    RebateStatementInfo,
    define_rebate_scheme,
    run_rebates,
    show_rebate_statement,
)
from regulars.services.loyalty.results import (
    AccrualResult,
    BasketLine,
    CardBalance,
    CardInfo,
    ExpiredCard,
    ExpiringValue,
    ExpiryRun,
    LedgerReport,
    MemberInfo,
    OrderSettled,
    Problem,
    ProgramInfo,
    QuoteResult,
    RedemptionResult,
    RefundResult,
    ReplacementResult,
    Reward,
    Settlement,
    SettlementLine,
)
from regulars.services.loyalty.settling import settle
from regulars.services.loyalty.spending import redeem, refund
from regulars.services.loyalty.tier_review import TierReviewLine, TierReviewRun, review_tiers
from regulars.services.loyalty.vouchers import (
    VoucherInfo,
    VoucherRedemption,
    create_vouchers,
    redeem_voucher,
    show_voucher,
)

__all__ = [
    "AccrualResult",
    "BasketLine",
    "CardBalance",
    "CardInfo",
    "ExpiredCard",
    "ExpiringValue",
    "ExpiryRun",
    "LedgerReport",
    "MemberInfo",
    "OrderAlreadyAccrued",
    "OrderSettled",
    "Problem",
    "ProgramInfo",
    "QuoteResult",
    "RebateSchemeInfo",
    "RebateStatementInfo",
    "RedemptionResult",
    "ReferralInfo",
    "RefundResult",
    "ReplacementResult",
    "Reward",
    "Settlement",
    "SettlementLine",
    "TierReviewLine",
    "TierReviewRun",
    "VoucherInfo",
    "VoucherRedemption",
    "accrue",
    "add_member",
    "block_card",
    "cancel_order",
    "card_balance",
    "create_program",
    "create_vouchers",
    "define_rebate_scheme",
    "expire_lots",
    "expiring_soon",
    "find_cards",
    "issue_card",
    "mark_paid",
    "pay_referrals",
    "quote",
    "record_referral",
    "redeem",
    "redeem_voucher",
    "refund",
    "replace_card",
    "review_tiers",
    "run_rebates",
    "settle",
    "show_program",
    "show_rebate_statement",
    "show_voucher",
    "verify_ledger",
]
