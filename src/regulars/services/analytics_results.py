"""What the analytics keep in the store: per-customer scores, segment playbooks and the
key-account flags people set by hand. A service, because analytics themselves only read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine, delete, func, insert, select

from regulars.analytics.alive import forecast
from regulars.analytics.backend import Store
from regulars.analytics.clv import ClvFitError, ClvInputError
from regulars.analytics.rfm import SEGMENTS, RfmParams, scores_expr, typical_rhythm
from regulars.domain.errors import NotFound, ValidationError
from regulars.domain.money import minor_units
from regulars.store.analytics_tables import CustomerScore, KeyAccountFlag, SegmentPlaybook
from regulars.store.tables import Customer

KEY_KINDS = ("high_potential", "reputation", "innovator", "demanding")

# The documents' strategies per group (003), plus ours for the segments they do not name.
DEFAULT_PLAYBOOKS = {
    "loyal": "Grow their potential: offer the wider range, the next tier, a personal contact.",
    "potential": "Deepen the impression of the brand and convert them into regulars.",
    "returning": "Ask what brought them back and keep it; thank them personally.",
    "new": "Welcome them and make the second purchase easy.",
    "one_time": "Give excellent service to build loyalty; invite them back.",
    "lapsed": "Call and ask why they left; fix it or match the offer; if lost, part well "
    "and ask for a referral.",
    "target": "Widen awareness: they know us but have not bought yet.",
}


@dataclass(frozen=True, slots=True)
class Flag:
    customer_id: int
    kind: str
    note: str | None
    flagged_at: datetime


@dataclass(frozen=True, slots=True)
class Refresh:
    as_of: date
    customers: int  # rows stored
    forecast: bool  # P(alive) and CLV stored too (False: too little history to fit)
    computed_at: datetime


def _forecasts(store: Store, as_of: date) -> dict[int, tuple[float, float, int]] | None:
    """customer_id -> (p_alive, expected purchases in 12 months, CLV in minor units)."""
    try:
        f = forecast(store, as_of, horizon_months=12)
    except (ClvFitError, ClvInputError):
        return None
    scale = Decimal(10) ** minor_units(store.scope.currency)
    t = f.table
    return {
        int(c): (float(p), float(e), int((v * scale).to_integral_value()))
        for c, p, e, v in zip(
            t["customer_id"].to_pylist(),
            t["p_alive"].to_pylist(),
            t["expected_purchases"].to_pylist(),
            t["clv"].to_pylist(),
            strict=True,
        )
    }


def refresh_scores(
    engine: Engine, store: Store, as_of: date, params: RfmParams | None = None
) -> Refresh:
    """Recompute and store every customer's scores and lifetime-value forecast."""
    n, with_forecast, at = _store(engine, store, as_of, params, _forecasts(store, as_of))
    return Refresh(as_of, n, with_forecast, at)


def last_refresh(engine: Engine, tenant_id: int) -> datetime | None:
    """When the stored scores were computed (None: never)."""
    with engine.connect() as c:
        return c.scalar(
            select(func.max(CustomerScore.computed_at)).where(CustomerScore.tenant_id == tenant_id)
        )


def store_scores(engine: Engine, store: Store, as_of: date, params: RfmParams | None) -> int:
    """Recompute every customer's scores and replace the stored ones; returns how many."""
    return _store(engine, store, as_of, params, None)[0]


def _store(
    engine: Engine,
    store: Store,
    as_of: date,
    params: RfmParams | None,
    forecasts: dict[int, tuple[float, float, int]] | None,
) -> tuple[int, bool, datetime]:
    params = params or RfmParams()
    e = scores_expr(store, as_of, params, typical_rhythm(store, as_of))
    rows = e.to_pyarrow().to_pylist()
    now = datetime.now(UTC)
    tenant = store.scope.tenant_id
    none = (None, None, None)
    values = [
        {
            "customer_id": r["customer_id"],
            "tenant_id": tenant,
            "as_of": as_of,
            "computed_at": now,
            "segment": r["segment"],
            "value_band": r["value_band"],
            "r_score": r["r"],
            "f_score": r["f"],
            "m_score": r["m"],
            "recency_days": r["recency_days"],
            "frequency": r["frequency"],
            "monetary_minor": r["monetary"],
            "loyalty_score": r["loyalty_score"],
            **dict(
                zip(
                    ("p_alive", "expected_purchases_12m", "clv_minor"),
                    (forecasts or {}).get(r["customer_id"], none),
                    strict=True,
                )
            ),
        }
        for r in rows
    ]
    with engine.begin() as c:
        c.execute(delete(CustomerScore).where(CustomerScore.tenant_id == tenant))
        for i in range(0, len(values), 10_000):
            c.execute(insert(CustomerScore), values[i : i + 10_000])
    return len(values), forecasts is not None, now


def playbooks(engine: Engine, tenant_id: int) -> dict[str, str]:
    """Strategy per segment: the business's own text, else the default."""
    with engine.connect() as c:
        own = dict(
            c.execute(
                select(SegmentPlaybook.segment, SegmentPlaybook.strategy).where(
                    SegmentPlaybook.tenant_id == tenant_id
                )
            ).all()
        )
    return {s: own.get(s, DEFAULT_PLAYBOOKS[s]) for s in SEGMENTS}


def set_playbook(engine: Engine, tenant_id: int, segment: str, strategy: str) -> None:
    if segment not in SEGMENTS:
        raise ValidationError(f"unknown segment {segment!r} (known: {', '.join(SEGMENTS)})")
    text = strategy.strip()
    if not text:
        raise ValidationError("the strategy cannot be empty", field="strategy")
    now = datetime.now(UTC)
    with engine.begin() as c:
        c.execute(
            delete(SegmentPlaybook).where(
                SegmentPlaybook.tenant_id == tenant_id, SegmentPlaybook.segment == segment
            )
        )
        c.execute(
            insert(SegmentPlaybook).values(
                tenant_id=tenant_id, segment=segment, strategy=text, updated_at=now
            )
        )


def _check_kind(kind: str) -> str:
    k = kind.strip().lower().replace("-", "_").replace(" ", "_")
    if k not in KEY_KINDS:
        raise ValidationError(f"unknown key kind {kind!r} (known: {', '.join(KEY_KINDS)})")
    return k


def flag_key_account(
    engine: Engine, tenant_id: int, customer_id: int, kind: str, note: str | None = None
) -> Flag:
    """Mark a customer key by hand (idempotent: flagging twice keeps one flag, newest note)."""
    k = _check_kind(kind)
    now = datetime.now(UTC)
    with engine.begin() as c:
        found = c.scalar(
            select(Customer.id).where(Customer.tenant_id == tenant_id, Customer.id == customer_id)
        )
        if found is None:
            raise NotFound(f"no customer {customer_id}")
        c.execute(
            delete(KeyAccountFlag).where(
                KeyAccountFlag.tenant_id == tenant_id,
                KeyAccountFlag.customer_id == customer_id,
                KeyAccountFlag.kind == k,
            )
        )
        c.execute(
            insert(KeyAccountFlag).values(
                tenant_id=tenant_id, customer_id=customer_id, kind=k, note=note, flagged_at=now
            )
        )
    return Flag(customer_id, k, note, now)


def unflag_key_account(engine: Engine, tenant_id: int, customer_id: int, kind: str) -> bool:
    k = _check_kind(kind)
    with engine.begin() as c:
        res = c.execute(
            delete(KeyAccountFlag).where(
                KeyAccountFlag.tenant_id == tenant_id,
                KeyAccountFlag.customer_id == customer_id,
                KeyAccountFlag.kind == k,
            )
        )
    return bool(res.rowcount)
