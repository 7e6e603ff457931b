"""`verify`: rebuild every balance from postings and check every invariant of the ledger.

Read-only. Each problem names what is wrong in a sentence; an empty list means the books hold.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regulars.domain.loyalty.ledger import AccountKind, EntryKind
from regulars.services.context import BusinessContext
from regulars.services.loyalty.books import programs_of
from regulars.services.loyalty.lots import AVAILABLE, PENDING
from regulars.services.loyalty.results import LedgerReport, Problem
from regulars.services.loyalty.reversals import read_order
from regulars.store.loyalty_tables import (
    LoyaltyAccount,
    LoyaltyBalance,
    LoyaltyEntry,
    LoyaltyLot,
    LoyaltyLotUse,
    LoyaltyPosting,
    LoyaltyProgram,
)
from regulars.store.uow import UnitOfWork

_CUSTOMER = (AccountKind.WALLET, AccountKind.PENDING)


def _entries_balance(s: Session, p: LoyaltyProgram) -> list[Problem]:
    rows = s.execute(
        select(LoyaltyPosting.entry_id, func.sum(LoyaltyPosting.amount_minor))
        .join(LoyaltyEntry, LoyaltyEntry.id == LoyaltyPosting.entry_id)
        .where(LoyaltyEntry.program_id == p.id, LoyaltyPosting.tenant_id == p.tenant_id)
        .group_by(LoyaltyPosting.entry_id)
        .having(func.sum(LoyaltyPosting.amount_minor) != 0)
    ).all()
    return [Problem("unbalanced_entry", f"{p.code}: entry {e} sums to {t}") for e, t in rows]


def _balances(
    s: Session, p: LoyaltyProgram
) -> tuple[list[Problem], dict[int, tuple[str, int | None, int]]]:
    """Cards' cached vs recomputed balances; returns (problems, account → (kind, card, balance)).

    Shared accounts (clearing, expired …) are derived from postings only: no cache to compare."""
    sums = dict(
        s.execute(
            select(LoyaltyPosting.account_id, func.sum(LoyaltyPosting.amount_minor))
            .join(LoyaltyAccount, LoyaltyAccount.id == LoyaltyPosting.account_id)
            .where(LoyaltyAccount.program_id == p.id, LoyaltyPosting.tenant_id == p.tenant_id)
            .group_by(LoyaltyPosting.account_id)
        ).all()
    )
    problems, accounts = [], {}
    rows = s.execute(
        select(
            LoyaltyAccount.id,
            LoyaltyAccount.kind,
            LoyaltyAccount.card_id,
            LoyaltyBalance.balance_minor,
        )
        .outerjoin(LoyaltyBalance, LoyaltyBalance.account_id == LoyaltyAccount.id)
        .where(LoyaltyAccount.program_id == p.id, LoyaltyAccount.tenant_id == p.tenant_id)
    ).all()
    for acc, kind, card, cached in rows:
        real = int(sums.get(acc, 0) or 0)
        accounts[acc] = (kind, card, real)
        if kind not in _CUSTOMER:
            continue  # shared accounts keep no cached balance: their postings are the truth
        if cached is None:
            problems.append(
                Problem("missing_balance", f"{p.code}: account {acc} has no balance row")
            )
        elif cached != real:
            problems.append(
                Problem(
                    "balance_mismatch",
                    f"{p.code}: account {acc} caches {cached}, postings say {real}",
                )
            )
        if real < 0:
            problems.append(
                Problem("negative_balance", f"{p.code}: {kind} account {acc} is {real}")
            )
    return problems, accounts


def _lots(
    s: Session, p: LoyaltyProgram, accounts: dict[int, tuple[str, int | None, int]]
) -> list[Problem]:
    problems = []
    held: dict[tuple[int, str], int] = {}
    for lot in s.scalars(
        select(LoyaltyLot).where(LoyaltyLot.program_id == p.id, LoyaltyLot.tenant_id == p.tenant_id)
    ):
        if not 0 <= lot.remaining_minor <= lot.amount_minor:
            problems.append(
                Problem(
                    "lot_out_of_range",
                    f"{p.code}: lot {lot.id} has {lot.remaining_minor} of {lot.amount_minor}",
                )
            )
        if lot.status in (AVAILABLE, PENDING):
            key = (
                lot.card_id,
                AccountKind.WALLET if lot.status == AVAILABLE else AccountKind.PENDING,
            )
            held[key] = held.get(key, 0) + lot.remaining_minor
    used = dict(
        s.execute(
            select(LoyaltyLotUse.lot_id, func.sum(LoyaltyLotUse.amount_minor))
            .where(LoyaltyLotUse.program_id == p.id, LoyaltyLotUse.tenant_id == p.tenant_id)
            .group_by(LoyaltyLotUse.lot_id)
        ).all()
    )
    for lot_id, amount, remaining in s.execute(
        select(LoyaltyLot.id, LoyaltyLot.amount_minor, LoyaltyLot.remaining_minor).where(
            LoyaltyLot.program_id == p.id, LoyaltyLot.tenant_id == p.tenant_id
        )
    ):
        if amount - remaining != int(used.get(lot_id, 0) or 0):
            problems.append(
                Problem(
                    "lot_uses_mismatch",
                    f"{p.code}: lot {lot_id} used {amount - remaining}, "
                    f"uses say {used.get(lot_id, 0)}",
                )
            )
    for _acc, (kind, card, real) in accounts.items():
        if kind in _CUSTOMER and card is not None and held.get((card, kind), 0) != real:
            problems.append(
                Problem(
                    "lots_mismatch",
                    f"{p.code}: card {card} {kind} is {real}, "
                    f"its lots hold {held.get((card, kind), 0)}",
                )
            )
    return problems


def _refunds(s: Session, p: LoyaltyProgram) -> list[Problem]:
    problems = []
    refs = s.scalars(
        select(LoyaltyEntry.order_ref)
        .where(
            LoyaltyEntry.program_id == p.id,
            LoyaltyEntry.kind.in_([EntryKind.REFUND, EntryKind.CANCEL]),
        )
        .distinct()
    ).all()
    for ref in refs:
        if ref is None:
            continue
        b = read_order(s, p, ref)
        if b.refunded > (b.basis or 1):
            problems.append(
                Problem(
                    "refund_over_order", f"{p.code}: order {ref} refunded {b.refunded} of {b.basis}"
                )
            )
        if b.reversed > b.accrued:
            problems.append(
                Problem(
                    "refund_over_accrual",
                    f"{p.code}: order {ref} took back {b.reversed} of {b.accrued} earned",
                )
            )
        if b.given_back > b.redeemed:
            problems.append(
                Problem(
                    "refund_creates_value",
                    f"{p.code}: order {ref} gave back {b.given_back} of {b.redeemed} redeemed",
                )
            )
    return problems


def verify_ledger(uow: UnitOfWork, *, ctx: BusinessContext) -> LedgerReport:
    """Check the ledgers of the programs this business owns."""
    problems: list[Problem] = []
    entries = accounts_n = lots = 0
    with uow:
        s = uow.session
        for p in programs_of(s, ctx):
            if p.tenant_id != ctx.tenant_id:
                continue
            problems += _entries_balance(s, p)
            found, accounts = _balances(s, p)
            problems += found
            problems += _lots(s, p, accounts)
            problems += _refunds(s, p)
            entries += s.scalar(select(func.count()).where(LoyaltyEntry.program_id == p.id)) or 0
            lots += s.scalar(select(func.count()).where(LoyaltyLot.program_id == p.id)) or 0
            accounts_n += len(accounts)
    return LedgerReport(
        ok=not problems, entries=entries, accounts=accounts_n, lots=lots, problems=tuple(problems)
    )
