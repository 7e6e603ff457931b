"""The till's hot path (accrue, redeem, quote) in SQLAlchemy Core: few statements, no ORM loads.

- `lock_holder`: one statement finds the card, its program and its membership, and locks the
  card's balance rows (FOR UPDATE on PostgreSQL, in account order like `books.lock_cards`; on
  SQLite the locking unit of work already holds the write lock).
- Programs: the rows are read in that same statement, and the parsed `ProgramSpec` is cached per
  process under the row's full contents (rules and tiers as JSON text included). An edit of a
  program changes the key, so a stale spec can never be used, with no invalidation to forget and
  no extra round trip; the cache only saves the parsing.
- Lots and rewards are written and consumed with Core statements; on PostgreSQL an accrual's lot
  and rewards go in one statement, and so do a lot's single bite and its use (data-modifying
  CTEs). With `books.new_entry` (entry, postings and balance in one statement) and the lock, an
  accrual or a redemption is four statements and the commit.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Row,
    Table,
    Text,
    and_,
    bindparam,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from regulars.domain.loyalty import rules
from regulars.domain.loyalty.cards import normalize_number
from regulars.domain.loyalty.errors import UnknownCard
from regulars.domain.loyalty.ledger import AccountKind, EntryKind, take_oldest
from regulars.domain.loyalty.program import ProgramSpec
from regulars.services.context import BusinessContext
from regulars.services.loyalty.books import CardAccounts, note_card_accounts
from regulars.services.loyalty.holders import customer_card
from regulars.services.loyalty.lots import AVAILABLE, CLOSED, PENDING, expiry_for
from regulars.services.loyalty.specs import spec_of
from regulars.store.loyalty_tables import (
    LoyaltyAccount,
    LoyaltyBalance,
    LoyaltyCard,
    LoyaltyEntry,
    LoyaltyLot,
    LoyaltyLotUse,
    LoyaltyMember,
    LoyaltyProgram,
    LoyaltyReward,
)

_CARDS = cast(Table, LoyaltyCard.__table__)
_PROGRAMS = cast(Table, LoyaltyProgram.__table__)
_MEMBERS = cast(Table, LoyaltyMember.__table__)
_ACCOUNTS = cast(Table, LoyaltyAccount.__table__)
_BALANCES = cast(Table, LoyaltyBalance.__table__)
_ENTRIES = cast(Table, LoyaltyEntry.__table__)
_LOTS = cast(Table, LoyaltyLot.__table__)
_LOT_USES = cast(Table, LoyaltyLotUse.__table__)
_REWARDS = cast(Table, LoyaltyReward.__table__)

_CARD_COLS = [c.name for c in _CARDS.c]
_PROGRAM_COLS = [c.name for c in _PROGRAMS.c]
_JSON_COLS = ("rules", "tiers")


@dataclass(frozen=True, slots=True)
class Held:
    """A locked card: the card and its program (both detached, read-only), the program's rules
    and the card's balances as read under the lock."""

    card: LoyaltyCard
    program: LoyaltyProgram
    spec: ProgramSpec
    acc: CardAccounts


def _held_query(by_number: bool, *, lock: bool = True) -> Any:
    card_cols = [_CARDS.c[n].label(f"c_{n}") for n in _CARD_COLS]
    program_cols = [
        (sql_cast(_PROGRAMS.c[n], Text) if n in _JSON_COLS else _PROGRAMS.c[n]).label(f"p_{n}")
        for n in _PROGRAM_COLS
    ]
    which = (
        _CARDS.c.number == bindparam("number") if by_number else _CARDS.c.id == bindparam("card")
    )
    query = (
        select(
            *card_cols,
            *program_cols,
            _ACCOUNTS.c.kind,
            _BALANCES.c.account_id,
            _BALANCES.c.balance_minor,
        )
        .select_from(
            _BALANCES.join(_ACCOUNTS, _ACCOUNTS.c.id == _BALANCES.c.account_id)
            .join(_CARDS, _CARDS.c.id == _ACCOUNTS.c.card_id)
            .join(_PROGRAMS, _PROGRAMS.c.id == _CARDS.c.program_id)
            .join(
                _MEMBERS,
                and_(
                    _MEMBERS.c.program_id == _PROGRAMS.c.id,
                    _MEMBERS.c.business_id == bindparam("business"),
                ),
            )
        )
        .where(
            which,
            _ACCOUNTS.c.kind.in_([str(AccountKind.WALLET), str(AccountKind.PENDING)]),
        )
        .order_by(_BALANCES.c.account_id)
    )
    return query.with_for_update(of=_BALANCES) if lock else query


_HELD_BY_NUMBER = _held_query(by_number=True)
_HELD_BY_ID = _held_query(by_number=False)
_SEEN_BY_NUMBER = _held_query(by_number=True, lock=False)
_SEEN_BY_ID = _held_query(by_number=False, lock=False)

# Program row contents → (detached program, spec). Bounded: cleared when it grows past the limit.
_SPECS: dict[tuple[Any, ...], tuple[LoyaltyProgram, ProgramSpec]] = {}
_SPECS_LIMIT = 512
_SPECS_LOCK = threading.Lock()


def program_of(values: tuple[Any, ...]) -> tuple[LoyaltyProgram, ProgramSpec]:
    """The detached program and its spec for a program row (`_PROGRAM_COLS` order, rules and
    tiers as JSON text). Keyed by every value, so an edited program is a new entry."""
    hit = _SPECS.get(values)
    if hit is not None:
        return hit
    fields = dict(zip(_PROGRAM_COLS, values, strict=True))
    for name in _JSON_COLS:
        fields[name] = json.loads(fields[name]) if fields[name] is not None else None
    program = LoyaltyProgram(**fields)
    made = (program, spec_of(program))
    with _SPECS_LOCK:
        if len(_SPECS) >= _SPECS_LIMIT:
            _SPECS.clear()
        _SPECS[values] = made
    return made


def lock_holder(
    s: Session,
    ctx: BusinessContext,
    *,
    card: str | None,
    customer: str | None,
    program: str | None = None,
    lock: bool = True,
) -> Held:
    """Find the card a request names (by number or by its customer), lock its balances (unless
    `lock=False`: a read-only quote) and return it with its program: one statement when named by
    number."""
    conn = s.connection()
    if card is not None:
        digits = normalize_number(card)
        query = _HELD_BY_NUMBER if lock else _SEEN_BY_NUMBER
        rows = conn.execute(query, {"number": digits, "business": ctx.tenant_id}).all()
        if not rows:
            raise UnknownCard(f"no card {digits}", field="card")
    else:
        assert customer is not None
        found, _p = customer_card(s, ctx, customer, program)
        query = _HELD_BY_ID if lock else _SEEN_BY_ID
        rows = conn.execute(query, {"card": found.id, "business": ctx.tenant_id}).all()
    return _held(s, rows)


def _held(s: Session, rows: Sequence[Row[Any]]) -> Held:
    first = rows[0]
    n_card, n_program = len(_CARD_COLS), len(_PROGRAM_COLS)
    card = LoyaltyCard(**dict(zip(_CARD_COLS, first[:n_card], strict=True)))
    program, spec = program_of(tuple(first[n_card : n_card + n_program]))
    balances: dict[str, tuple[int, int]] = {}
    for row in rows:
        kind, account, balance = row[n_card + n_program :]
        balances[kind] = (account, balance)
    wallet, pending = balances[AccountKind.WALLET], balances[AccountKind.PENDING]
    note_card_accounts(s, wallet[0], pending[0])
    return Held(card, program, spec, CardAccounts(wallet[0], pending[0], wallet[1], pending[1]))


def set_tier(s: Session, card: LoyaltyCard, tier: str | None) -> None:
    """Persist a tier upgrade of a card read by `lock_holder` (it is detached)."""
    s.connection().execute(update(_CARDS).where(_CARDS.c.id == card.id).values(tier=tier))


# --- idempotency and the order's earlier accrual ----------------------------------------------


def _earlier_query(with_history: bool) -> Any:
    program: Any = bindparam("program")
    key_entry = (
        select(_ENTRIES.c.id)
        .where(_ENTRIES.c.program_id == program, _ENTRIES.c.idempotency_key == bindparam("key"))
        .scalar_subquery()
    )
    accrued = exists().where(
        _ENTRIES.c.program_id == program,
        _ENTRIES.c.order_ref == bindparam("ref"),
        _ENTRIES.c.kind == str(EntryKind.ACCRUE),
    )
    cols: list[Any] = [key_entry, accrued]
    if with_history:
        cols.append(
            select(func.count())
            .select_from(_ENTRIES)
            .where(
                _ENTRIES.c.tenant_id == bindparam("tenant"),
                _ENTRIES.c.program_id == program,
                _ENTRIES.c.card_id == bindparam("card"),
                _ENTRIES.c.kind == str(EntryKind.ACCRUE),
                _ENTRIES.c.order_ref.is_not(None),
            )
            .scalar_subquery()
        )
    return select(*cols)


_EARLIER = _earlier_query(with_history=False)
_EARLIER_WITH_HISTORY = _earlier_query(with_history=True)


def needs_history(spec: ProgramSpec) -> bool:
    """Whether the program's rules look at the customer's number of earlier orders
    (`CustomerFacts.previous_orders`): the repeat-order discount and the referral bonuses."""
    r = spec.rules
    return (
        r.repeat_order_discount_percent > 0
        or r.referral_bonus_referee > 0
        or r.referral_bonus_referrer > 0
    )


@dataclass(frozen=True, slots=True)
class Earlier:
    key_entry: int | None  # the entry already written under the idempotency key
    order_accrued: bool  # the order has already earned in this program
    previous_orders: int  # the card's earlier accrued orders (0 when the rules do not ask)


def earlier(s: Session, held: Held, key: str | None, ref: str) -> Earlier:
    """One round trip, after the lock (so it sees what a competing request just committed)."""
    history = needs_history(held.spec)
    params = {"program": held.program.id, "key": key, "ref": ref}
    if history:
        params |= {"tenant": held.program.tenant_id, "card": held.card.id}
    row = s.connection().execute(_EARLIER_WITH_HISTORY if history else _EARLIER, params).one()
    return Earlier(row[0], bool(row[1]), int(row[2]) if history else 0)


def customer_facts(held: Held, previous_orders: int) -> rules.CustomerFacts:
    return rules.CustomerFacts(tier_code=held.card.tier, previous_orders=previous_orders)


def previous_orders(s: Session, held: Held) -> int:
    """The card's earlier accrued orders, counted only when the program's rules ask."""
    if not needs_history(held.spec):
        return 0
    params = {
        "program": held.program.id,
        "key": None,
        "ref": None,
        "tenant": held.program.tenant_id,
        "card": held.card.id,
    }
    return int(s.connection().execute(_EARLIER_WITH_HISTORY, params).one()[2])


# --- lots and rewards -------------------------------------------------------------------------


def lot_row(
    program: LoyaltyProgram,
    *,
    card_id: int,
    entry_id: int,
    member: int,
    order_ref: str | None,
    amount: int,
    at: datetime,
    pending: bool,
) -> dict[str, Any]:
    """The row `lots.add_lot` would write."""
    return {
        "tenant_id": program.tenant_id,
        "program_id": program.id,
        "card_id": card_id,
        "entry_id": entry_id,
        "member_business_id": member,
        "order_ref": order_ref,
        "amount_minor": amount,
        "remaining_minor": amount,
        "status": PENDING if pending else AVAILABLE,
        "earned_at": at,
        "expires_at": None if pending else expiry_for(program, at),
    }


_LOT_COLS = [c for c in _LOTS.c if c.name != "id"]
_REWARD_COLS = [c for c in _REWARDS.c if c.name != "id"]
_LOT_AND_REWARDS: dict[int, Any] = {}


def _lot_and_rewards(n: int) -> Any:
    """PostgreSQL: WITH l AS (INSERT the lot) INSERT the n rewards: one round trip."""
    found = _LOT_AND_REWARDS.get(n)
    if found is None:
        lot = insert(_LOTS).values(
            {c.name: bindparam(f"l_{c.name}", type_=c.type) for c in _LOT_COLS}
        )
        # Single-row inserts, each its own CTE: a multi-row VALUES is compiled anew every time.
        rows = [
            insert(_REWARDS).values(
                {c.name: bindparam(f"r{i}_{c.name}", type_=c.type) for c in _REWARD_COLS}
            )
            for i in range(n)
        ]
        more = [row.cte(f"r{i}") for i, row in enumerate(rows) if i]
        found = _LOT_AND_REWARDS[n] = rows[0].add_cte(lot.cte("l"), *more)
    return found


def insert_lot_and_rewards(
    s: Session, lot: dict[str, Any] | None, rewards: list[dict[str, Any]]
) -> None:
    """An accrual's lot and reward snapshots, in one statement on PostgreSQL."""
    conn = s.connection()
    if lot is not None and rewards and conn.dialect.name == "postgresql":
        params = {f"l_{k}": v for k, v in lot.items()}
        for i, row in enumerate(rewards):
            params |= {f"r{i}_{k}": v for k, v in row.items()}
        conn.execute(_lot_and_rewards(len(rewards)), params)
        return
    if lot is not None:
        conn.execute(insert(_LOTS), lot)
    if rewards:
        conn.execute(insert(_REWARDS), rewards)


_OPEN_LOTS = (
    select(_LOTS.c.id, _LOTS.c.remaining_minor, _LOTS.c.member_business_id)
    .where(  # by card alone (it implies the tenant): the (card, status) index, whatever the stats
        _LOTS.c.card_id == bindparam("card"),
        _LOTS.c.status == AVAILABLE,
        _LOTS.c.remaining_minor > 0,
    )
    .order_by(_LOTS.c.earned_at, _LOTS.c.id)
)
_TAKE_FROM_LOT = (
    update(_LOTS)
    .where(_LOTS.c.id == bindparam("lot"))
    .values(remaining_minor=bindparam("remaining"), status=bindparam("new_status"))
)


# PostgreSQL: WITH t AS (UPDATE the lot) INSERT its use.
_TAKE_ONE = (
    insert(_LOT_USES)
    .values({c.name: bindparam(f"u_{c.name}", type_=c.type) for c in _LOT_USES.c if c.name != "id"})
    .add_cte(_TAKE_FROM_LOT.cte("t"))
)


def consume_available(
    s: Session,
    program: LoyaltyProgram,
    card_id: int,
    amount: int,
    *,
    entry_id: int,
    kind: EntryKind,
    spent_at: int,
    at: datetime,
) -> None:
    """`lots.consume(open_lots(…))` in Core: take `amount` from the card's available lots, oldest
    first, recording each bite for settlement."""
    conn = s.connection()
    lots = conn.execute(_OPEN_LOTS, {"card": card_id}).all()
    by_id = {lot.id: lot for lot in lots}
    takes = take_oldest([(lot.id, lot.remaining_minor) for lot in lots], amount)
    if not takes:
        return
    changes, uses = [], []
    for take in takes:
        lot = by_id[take.lot]
        left = lot.remaining_minor - take.amount
        changes.append(
            {"lot": lot.id, "remaining": left, "new_status": CLOSED if left == 0 else AVAILABLE}
        )
        uses.append(
            {
                "tenant_id": program.tenant_id,
                "program_id": program.id,
                "lot_id": lot.id,
                "entry_id": entry_id,
                "kind": str(kind),
                "earned_member_id": lot.member_business_id,
                "spent_member_id": spent_at,
                "amount_minor": take.amount,
                "at": at,
            }
        )
    if len(takes) == 1 and conn.dialect.name == "postgresql":
        params = {**changes[0], **{f"u_{k}": v for k, v in uses[0].items()}}
        conn.execute(_TAKE_ONE, params)  # one round trip for the usual single bite
        return
    conn.execute(_TAKE_FROM_LOT, changes)
    conn.execute(insert(_LOT_USES), uses)
