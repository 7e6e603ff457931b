"""The ledger's storage primitives: look-ups, locks, balanced postings, lots and idempotency.

Every debit happens after `lock_cards`: SELECT … FOR UPDATE on the card's balance rows on
PostgreSQL; on SQLite the unit of work already holds the write lock (BEGIN IMMEDIATE).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Table, bindparam, insert, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regulars.domain.errors import ValidationError
from regulars.domain.loyalty.cards import normalize_number
from regulars.domain.loyalty.errors import (
    CardBlocked,
    IdempotencyConflict,
    InsufficientBalance,
    NotAMember,
    UnknownCard,
    UnknownProgram,
)
from regulars.domain.loyalty.ledger import AccountKind, EntryKind, Posting, check_balanced
from regulars.services.context import BusinessContext
from regulars.services.loyalty.results import from_record, to_record
from regulars.store.engine import IMMEDIATE_OPTION
from regulars.store.loyalty_tables import (
    LoyaltyAccount,
    LoyaltyBalance,
    LoyaltyCard,
    LoyaltyEntry,
    LoyaltyMember,
    LoyaltyPosting,
    LoyaltyProgram,
)
from regulars.store.uow import UnitOfWork

T = TypeVar("T")
_ENTRIES = cast(Table, LoyaltyEntry.__table__)
_POSTINGS = cast(Table, LoyaltyPosting.__table__)
_BALANCES = cast(Table, LoyaltyBalance.__table__)
_RETRIES = 3
_NEW_ENTRY = insert(_ENTRIES).returning(_ENTRIES.c.id)
_ENTRY_VALUE_COLS = [c for c in _ENTRIES.c if c.name != "id"]
_MOVE_BALANCE = (
    update(_BALANCES)
    .where(_BALANCES.c.account_id == bindparam("account"))
    .values(balance_minor=_BALANCES.c.balance_minor + bindparam("delta"))
    .returning(_BALANCES.c.balance_minor)
)


# --- look-ups ---------------------------------------------------------------------------------


def find_program(s: Session, ctx: BusinessContext, code: str) -> LoyaltyProgram:
    """A program the business owns or is a coalition member of (owned ones first)."""
    rows = s.scalars(
        select(LoyaltyProgram)
        .join(LoyaltyMember, LoyaltyMember.program_id == LoyaltyProgram.id)
        .where(LoyaltyProgram.code == code, LoyaltyMember.business_id == ctx.tenant_id)
        .order_by((LoyaltyProgram.tenant_id != ctx.tenant_id), LoyaltyProgram.id)
    ).all()
    if not rows:
        raise UnknownProgram(f"no loyalty program {code!r}", field="program")
    return rows[0]


def programs_of(s: Session, ctx: BusinessContext) -> list[LoyaltyProgram]:
    return list(
        s.scalars(
            select(LoyaltyProgram)
            .join(LoyaltyMember, LoyaltyMember.program_id == LoyaltyProgram.id)
            .where(LoyaltyMember.business_id == ctx.tenant_id)
            .order_by(LoyaltyProgram.id)
        )
    )


def check_member(s: Session, ctx: BusinessContext, program: LoyaltyProgram) -> None:
    found = s.scalar(
        select(LoyaltyMember.id).where(
            LoyaltyMember.program_id == program.id, LoyaltyMember.business_id == ctx.tenant_id
        )
    )
    if found is None:
        raise NotAMember(f"this business is not a member of program {program.code}")


def find_card(s: Session, ctx: BusinessContext, number: str) -> tuple[LoyaltyCard, LoyaltyProgram]:
    """A card of a program this business belongs to; others' cards are unknown here."""
    digits = normalize_number(number)
    row = s.execute(
        select(LoyaltyCard, LoyaltyProgram)
        .join(LoyaltyProgram, LoyaltyProgram.id == LoyaltyCard.program_id)
        .join(LoyaltyMember, LoyaltyMember.program_id == LoyaltyProgram.id)
        .where(LoyaltyCard.number == digits, LoyaltyMember.business_id == ctx.tenant_id)
    ).first()
    if row is None:
        raise UnknownCard(f"no card {digits}", field="card")
    return row[0], row[1]


def check_active(card: LoyaltyCard) -> None:
    if card.status != "active":
        raise CardBlocked(f"card {card.number} is {card.status}", field="card")


def clean_ref(text: str, field: str = "order") -> str:
    ref = (text or "").strip()
    if not ref or len(ref) > 100:
        raise ValidationError(f"the {field} reference must be 1–100 characters", field=field)
    return ref


def clean_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 200:
        raise ValidationError(
            "an idempotency key must be 1–200 characters", field="idempotency_key"
        )
    return key


# --- accounts and balances --------------------------------------------------------------------


def open_account(
    s: Session,
    program: LoyaltyProgram,
    kind: AccountKind,
    *,
    card_id: int | None = None,
    member: int | None = None,
) -> LoyaltyAccount:
    """Create an account with its zero balance (done when its card, member or program is made)."""
    owner = f"card:{card_id}" if card_id else f"member:{member}" if member else "program"
    acc = LoyaltyAccount(
        tenant_id=program.tenant_id,
        program_id=program.id,
        kind=kind,
        owner_key=owner,
        card_id=card_id,
        member_business_id=member,
    )
    s.add(acc)
    s.flush()
    s.add(LoyaltyBalance(account_id=acc.id, tenant_id=program.tenant_id, balance_minor=0))
    return acc


def account_id(
    s: Session,
    program: LoyaltyProgram,
    kind: AccountKind,
    *,
    card_id: int | None = None,
    member: int | None = None,
) -> int:
    owner = f"card:{card_id}" if card_id else f"member:{member}" if member else "program"
    cache = _ids(s)
    cached = cache.get((program.id, kind, owner))
    if cached is not None:
        return cached
    found = s.scalar(
        select(LoyaltyAccount.id).where(
            LoyaltyAccount.tenant_id == program.tenant_id,
            LoyaltyAccount.program_id == program.id,
            LoyaltyAccount.kind == kind,
            LoyaltyAccount.owner_key == owner,
        )
    )
    if found is None:
        raise NotAMember(f"no {kind} account for {owner} in program {program.code}")
    cache[(program.id, kind, owner)] = found
    _known(s)[found] = kind in _CARD_KINDS
    return found


# Accounts never change once created, so their ids and kinds are remembered per database (keyed by
# the engine's connection pool: a new engine, a new cache), saving a round trip per operation.
_CARD_KINDS = frozenset({AccountKind.WALLET, AccountKind.PENDING})
_CACHES: WeakKeyDictionary[Any, dict[str, dict[Any, Any]]] = WeakKeyDictionary()


def _cache(s: Session, name: str) -> dict[Any, Any]:
    per_db = _CACHES.get(s.get_bind().engine.pool)
    if per_db is None:
        per_db = _CACHES.setdefault(s.get_bind().engine.pool, {"ids": {}, "known": {}})
    return per_db[name]


def _ids(s: Session) -> dict[tuple[int, str, str], int]:
    return _cache(s, "ids")


def _known(s: Session) -> dict[int, bool]:
    """account id → whether it is a card's own account (wallet or pending)."""
    return _cache(s, "known")


def note_card_accounts(s: Session, *accounts: int) -> None:
    """Remember accounts read as a card's wallet or pending (their kind never changes)."""
    _known(s).update(dict.fromkeys(accounts, True))


def card_accounts(s: Session, accounts: Iterable[int]) -> set[int]:
    """Which of `accounts` belong to a card (their balances are cached and may not go negative)."""
    known = _known(s)
    wanted = set(accounts)
    unknown = [a for a in wanted if a not in known]
    if unknown:
        for acc, kind in s.execute(
            select(LoyaltyAccount.id, LoyaltyAccount.kind).where(LoyaltyAccount.id.in_(unknown))
        ):
            known[acc] = kind in _CARD_KINDS
    return {a for a in wanted if known.get(a)}


class CardAccounts:
    """A card's wallet and pending accounts with their balances, read under the lock."""

    def __init__(self, wallet: int, pending: int, available: int, held: int) -> None:
        self.wallet, self.pending = wallet, pending
        self.available, self.held = available, held


def lock_cards(
    s: Session, program: LoyaltyProgram, card_ids: Iterable[int]
) -> dict[int, CardAccounts]:
    """Lock the cards' balance rows in a fixed order (no deadlocks) and return their balances."""
    ids = sorted(set(card_ids))
    if not ids:
        return {}
    rows = s.execute(
        select(LoyaltyAccount.card_id, LoyaltyAccount.kind, LoyaltyBalance)
        .join(LoyaltyBalance, LoyaltyBalance.account_id == LoyaltyAccount.id)
        .where(
            LoyaltyAccount.tenant_id == program.tenant_id,
            LoyaltyAccount.card_id.in_(ids),
        )
        .order_by(LoyaltyBalance.account_id)
        .with_for_update(of=LoyaltyBalance)
        .execution_options(populate_existing=True)
    ).all()
    found: dict[int, dict[str, LoyaltyBalance]] = {}
    for card_id, kind, bal in rows:
        if card_id is not None:
            found.setdefault(card_id, {})[kind] = bal
    out = {}
    for cid in ids:
        w, p = found[cid][AccountKind.WALLET], found[cid][AccountKind.PENDING]
        out[cid] = CardAccounts(w.account_id, p.account_id, w.balance_minor, p.balance_minor)
        _known(s).update({w.account_id: True, p.account_id: True})
    return out


def new_entry(
    s: Session,
    ctx: BusinessContext,
    program: LoyaltyProgram,
    kind: EntryKind,
    *,
    at: datetime,
    postings: Sequence[Posting],
    card_id: int | None = None,
    order_ref: str | None = None,
    order_amount_minor: int | None = None,
    reversed_minor: int = 0,
    unrecovered_minor: int = 0,
    given_back_minor: int = 0,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    result: Any = None,
) -> LoyaltyEntry:
    """Write one balanced entry and move the cached balances; a customer account going below
    zero aborts the whole transaction."""
    postings = [p for p in postings if p.amount != 0]
    check_balanced(postings)
    values = dict(
        tenant_id=program.tenant_id,
        program_id=program.id,
        kind=str(kind),
        at=at,
        actor_id=ctx.actor_id,
        member_business_id=ctx.tenant_id,
        card_id=card_id,
        order_ref=order_ref,
        order_amount_minor=order_amount_minor,
        reversed_minor=reversed_minor,
        unrecovered_minor=unrecovered_minor,
        given_back_minor=given_back_minor,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        result=to_record(result) if result is not None else None,
    )
    # Core statements, not the ORM's unit of work: the till's hot path, a few ms less CPU each.
    # The unique (program, idempotency key) constraint decides here.
    totals: dict[int, int] = {}
    for p in postings:
        totals[p.account] = totals.get(p.account, 0) + p.amount
    # Only a card's own accounts keep a cached balance: shared ones (clearing, expired …) would
    # make every write of a business queue on one row; `verify` sums their postings instead.
    cached = sorted(card_accounts(s, totals))
    conn = s.connection()
    if conn.dialect.name == "postgresql" and len(cached) <= 1:
        # One round trip: the entry, its postings and the card's balance in one statement.
        params: dict[str, Any] = {f"e_{k}": v for k, v in values.items()}
        for i, p in enumerate(postings):
            params[f"a{i}"], params[f"m{i}"] = p.account, p.amount
        if cached:
            params["b_account"], params["b_delta"] = cached[0], totals[cached[0]]
        row = conn.execute(_entry_statement(len(postings), bool(cached)), params).one()
        new_id = row[0]
        if cached and (row[1] is None or row[1] < 0):
            raise InsufficientBalance("the balance would go below zero")
        return LoyaltyEntry(id=new_id, **values)  # detached: callers read its id and fields
    new_id = conn.execute(_NEW_ENTRY, values).scalar_one()
    if postings:
        conn.execute(
            insert(_POSTINGS),
            [
                {
                    "tenant_id": program.tenant_id,
                    "entry_id": new_id,
                    "account_id": p.account,
                    "amount_minor": p.amount,
                }
                for p in postings
            ],
        )
    for acc in cached:
        after = conn.execute(_MOVE_BALANCE, {"account": acc, "delta": totals[acc]}).scalar_one()
        if after < 0:
            raise InsufficientBalance("the balance would go below zero")
    return LoyaltyEntry(id=new_id, **values)  # detached: callers read its id and fields


_ENTRY_STATEMENTS: dict[tuple[int, bool], Any] = {}


def _entry_statement(postings: int, balance: bool) -> Any:
    """PostgreSQL: WITH e AS (INSERT entry RETURNING id), p0… AS (INSERT posting FROM e),
    b AS (UPDATE the card's balance RETURNING it) SELECT e.id, b.balance. Built once per shape.
    Only for at most one card balance: several are updated one by one, in order (no deadlocks)."""
    key = (postings, balance)
    found = _ENTRY_STATEMENTS.get(key)
    if found is not None:
        return found
    e = (
        insert(_ENTRIES)
        .values({c.name: bindparam(f"e_{c.name}", type_=c.type) for c in _ENTRY_VALUE_COLS})
        .returning(_ENTRIES.c.id)
        .cte("e")
    )
    ctes: list[Any] = []
    for i in range(postings):
        posting = select(  # the new entry is not visible to the statement: its id comes from e
            bindparam("e_tenant_id", type_=_POSTINGS.c.tenant_id.type),
            e.c.id,
            bindparam(f"a{i}", type_=_POSTINGS.c.account_id.type),
            bindparam(f"m{i}", type_=_POSTINGS.c.amount_minor.type),
        ).select_from(e)
        ctes.append(
            insert(_POSTINGS)
            .from_select(["tenant_id", "entry_id", "account_id", "amount_minor"], posting)
            .cte(f"p{i}")
        )
    if balance:
        b = (
            update(_BALANCES)
            .where(_BALANCES.c.account_id == bindparam("b_account"))
            .values(balance_minor=_BALANCES.c.balance_minor + bindparam("b_delta"))
            .returning(_BALANCES.c.balance_minor)
            .cte("b")
        )
        stmt = select(e.c.id, b.c.balance_minor).select_from(e.outerjoin(b, true()))
    else:
        stmt = select(e.c.id)
    stmt = stmt.add_cte(*ctes)
    _ENTRY_STATEMENTS[key] = stmt
    return stmt


# --- idempotency ------------------------------------------------------------------------------


def request_hash(operation: str, **params: Any) -> str:
    """A stable fingerprint of a request: the same key must come back with the same one."""
    body = json.dumps({"op": operation, **params}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def replay(
    s: Session, program: LoyaltyProgram, key: str | None, fingerprint: str, cls: type[T]
) -> T | None:
    """The first result for this key, or None when the key is new; another request → refused."""
    if key is None:
        return None
    entry = s.scalar(
        select(LoyaltyEntry).where(
            LoyaltyEntry.program_id == program.id, LoyaltyEntry.idempotency_key == key
        )
    )
    if entry is None:
        return None
    return replayed(entry, key, fingerprint, cls)


def replayed(entry: LoyaltyEntry, key: str, fingerprint: str, cls: type[T]) -> T:
    """The stored result of the entry first written under `key`, if the request is the same."""
    if entry.request_hash != fingerprint:
        raise IdempotencyConflict(
            f"idempotency key {key!r} was already used for a different request",
            field="idempotency_key",
        )
    data = dict(entry.result or {})
    data["replayed"] = True
    if "entry_id" in {f for f in getattr(cls, "__dataclass_fields__", {})}:
        data["entry_id"] = entry.id
    return from_record(cls, data)


def _write_session(uow: UnitOfWork) -> Session:
    """A session for one write, like `uow.locking()`'s: on SQLite it takes the write lock at
    BEGIN (BEGIN IMMEDIATE, asked of the connection); PostgreSQL writers lock rows with
    SELECT … FOR UPDATE. A plain `Session`, not a session factory and an engine copy per call:
    a new factory's first session alone costs ~0.1 ms."""
    immediate = {IMMEDIATE_OPTION: True} if uow.engine.dialect.name == "sqlite" else {}
    return Session(bind=uow.engine, expire_on_commit=False, execution_options=immediate)


def write_once(uow: UnitOfWork, work: Callable[[Session], T], *, keyed: bool) -> T:
    """Run a write in a locking unit of work. When two requests with one key race on PostgreSQL,
    the unique constraint refuses the second; it is retried and then replays the first."""
    for attempt in range(_RETRIES):
        try:
            with _write_session(uow) as session, session.begin():
                return work(session)
        except IntegrityError:
            if not keyed or attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")
