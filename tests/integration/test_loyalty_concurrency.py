"""Many tills at once, and a till that dies mid-burst: no value is spent twice or lost.

Separate processes (forked, each with its own engine and connection), started together on a
barrier, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from sqlalchemy import func, select

from regulars.bootstrap import App, make_app
from regulars.domain.errors import DomainError
from regulars.services import loyalty as svc
from regulars.services.context import BusinessContext
from regulars.store.loyalty_tables import LoyaltyEntry
from tests.fixtures.loyalty import funded_card

_fork = mp.get_context("fork")


def _redeem(
    url: str, ctx: BusinessContext, card: str, n: int, key: str, gate: Barrier, out: mp.Queue
) -> None:
    app = make_app(url)
    try:
        gate.wait(timeout=60)
        got = svc.redeem(
            app.uow(), ctx=ctx, card=card, amount="10", order=f"RUSH-{key}", idempotency_key=key
        )
        out.put(("ok", got.entry_id))
    except DomainError as e:
        out.put((e.code, None))
    except Exception as e:  # a crash is a result too: the test shows it
        out.put((f"crash: {e}", None))
    finally:
        app.close()


def _rush(url: str, ctx: BusinessContext, card: str, keys: list[str]) -> list[tuple[str, int]]:
    gate, out = _fork.Barrier(len(keys)), _fork.Queue()
    procs = [
        _fork.Process(target=_redeem, args=(url, ctx, card, n, key, gate, out))
        for n, key in enumerate(keys)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return results


def _entries(app: App, kind: str) -> int:
    with app.uow() as uow:
        q = select(func.count()).where(LoyaltyEntry.kind == kind)
        return uow.session.scalar(q) or 0


@pytest.mark.slow
def test_fifty_simultaneous_redemptions_spend_the_balance_exactly_once(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo, db_url: str
) -> None:
    card = funded_card(app, ctx, "100")  # covers exactly 10 redemptions of 10
    app.engine.dispose()  # no connection crosses the fork
    results = _rush(db_url, ctx, card, [f"rush-{n}" for n in range(50)])
    codes = sorted(code for code, _ in results)
    assert codes.count("ok") == 10, codes
    assert codes.count("insufficient_balance") == 40, codes
    assert svc.card_balance(app.uow(), ctx=ctx, number=card).available == Decimal("0.00")
    assert _entries(app, "redeem") == 10
    assert svc.verify_ledger(app.uow(), ctx=ctx).ok


@pytest.mark.slow
def test_the_same_key_sent_twenty_times_at_once_posts_once(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo, db_url: str
) -> None:
    card = funded_card(app, ctx, "100")
    app.engine.dispose()
    results = _rush(db_url, ctx, card, ["one-key"] * 20)
    assert {code for code, _ in results} == {"ok"}, results
    assert len({entry for _, entry in results}) == 1  # every caller got the first result
    assert _entries(app, "redeem") == 1
    assert svc.card_balance(app.uow(), ctx=ctx, number=card).available == Decimal("90.00")
    assert svc.verify_ledger(app.uow(), ctx=ctx).ok


_BURST = textwrap.dedent(
    """
    import sys
    from regulars.bootstrap import make_app
    from regulars.services import loyalty as svc
    from regulars.services.businesses import ensure_business

    url, card = sys.argv[1], sys.argv[2]
    app = make_app(url)
    ctx = ensure_business(app.uow(), slug="default")
    for n in range(100000):
        key = f"burst-{n}"
        if n % 3 == 2:
            svc.redeem(app.uow(), ctx=ctx, card=card, amount="1", order=f"B{n}",
                       idempotency_key=key)
        else:
            svc.accrue(app.uow(), ctx=ctx, card=card, order=f"B{n}", amount="100",
                       pending=n % 2 == 0, idempotency_key=key)
        print(key, flush=True)  # acknowledged: the transaction has committed
    """
)


@pytest.mark.slow
def test_a_till_killed_mid_burst_loses_no_acknowledged_operation(
    app: App, ctx: BusinessContext, program: svc.ProgramInfo, db_url: str, tmp_path: Path
) -> None:
    card = funded_card(app, ctx, "50")
    script = tmp_path / "burst.py"
    script.write_text(_BURST)
    child = subprocess.Popen(
        [sys.executable, str(script), db_url, card], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    acked = []
    for line in child.stdout:
        acked.append(line.strip())
        if len(acked) == 40:
            break
    child.send_signal(signal.SIGKILL)  # in the middle of the next write
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    report = svc.verify_ledger(app.uow(), ctx=ctx)
    assert report.ok, report.problems
    with app.uow() as uow:
        keys = set(uow.session.scalars(select(LoyaltyEntry.idempotency_key)))
    assert set(acked) <= keys
    again = svc.accrue(
        app.uow(),
        ctx=ctx,
        card=card,
        order="B0",
        amount="100",
        pending=True,
        idempotency_key="burst-0",
    )
    assert again.replayed  # a retry after the crash returns the first result
