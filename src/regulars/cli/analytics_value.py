"""`regulars analytics profitability|bonus-hunters|payoff`: who brings profit, and what paid off.

Registered on the `analytics` Typer app; figures come from regulars.analytics.profitability and
regulars.analytics.payoff. Money in JSON is a decimal string in the business currency.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from regulars.cli.analytics import AsOf, analytics_session, app, as_of_day
from regulars.cli.common import DbOption, JsonOption, console, print_json, print_table
from regulars.domain.errors import NotFound

if TYPE_CHECKING:  # Ibis, DuckDB and scipy load only when a command runs
    from regulars.analytics.backend import Store
    from regulars.analytics.payoff import CampaignPayoff, Interval, RulePayoff
    from regulars.analytics.profitability import Profitability

DEFAULT_MARGIN_PERCENT = "30"  # regulars.analytics.profitability.DEFAULT_MARGIN_PERCENT

Days = Annotated[
    int, typer.Option("--days", min=0, help="Period in days up to --as-of (0: all time).")
]
MarginPercent = Annotated[
    str,
    typer.Option(
        "--margin-percent", help="Margin assumed where products have no unit cost (an estimate)."
    ),
]
Limit = Annotated[int | None, typer.Option("--limit", min=1, help="At most this many rows.")]


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise typer.BadParameter(
            f"{text!r} is not a number", param_hint="--margin-percent"
        ) from None
    if not Decimal(0) <= value <= Decimal(100):
        raise typer.BadParameter("give 0 to 100", param_hint="--margin-percent")
    return value


def _profit_json(p: Profitability, limit: int | None) -> dict[str, Any]:
    return {
        "as_of": p.as_of,
        "period_days": p.period_days,
        "currency": p.currency,
        "margin_percent": p.margin_percent,
        "margin_source": p.margin_source,
        "totals": {
            "revenue": p.revenue,
            "margin": p.margin,
            "reward_cost": p.reward_cost,
            "net_contribution": p.net_contribution,
        },
        "customers": [
            {
                "customer_id": c.customer_id,
                "name": c.name,
                "revenue": c.revenue,
                "margin": c.margin,
                "margin_estimated": c.margin_estimated,
                "reward_cost": c.reward_cost,
                "net_contribution": c.net_contribution,
                "orders": c.orders,
                "promotional_orders": c.promotional_orders,
                "bonus_hunter": c.bonus_hunter,
                "reasons": list(c.reasons),
            }
            for c in p.customers[:limit]
        ],
    }


def _print_profit(title: str, p: Profitability, limit: int | None) -> None:
    cur = p.currency
    rows = [
        (
            c.customer_id,
            c.name,
            c.revenue,
            f"{c.margin}{' *' if c.margin_estimated else ''}",
            c.reward_cost,
            c.net_contribution,
            f"{c.promotional_orders}/{c.orders}",
            ", ".join(c.reasons),
        )
        for c in p.customers[:limit]
    ]
    cols = ["id", "customer", f"revenue {cur}", "margin", "rewards", "net", "promo/orders", "why"]
    print_table(title, cols, rows)
    console.print(
        f"total: revenue {p.revenue} · margin {p.margin} · rewards {p.reward_cost} · "
        f"net {p.net_contribution} {cur}; margin from {p.margin_source}"
        f" (* estimated at {p.margin_percent} % where unit costs are unknown)",
        highlight=False,
    )


@app.command("profitability")
def profitability_command(
    as_of: AsOf = None,
    days: Days = 365,
    margin_percent: MarginPercent = DEFAULT_MARGIN_PERCENT,
    limit: Limit = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Per customer: revenue, margin, reward cost and net contribution; least profitable first."""
    from regulars.analytics.profitability import profitability

    with analytics_session(db) as (_, _ctx, store):
        p = profitability(store, as_of_day(store, as_of), days or None, _percent(margin_percent))
    if json:
        print_json(_profit_json(p, limit))
    else:
        _print_profit("Profitability", p, limit)


@app.command("bonus-hunters")
def bonus_hunters_command(
    as_of: AsOf = None,
    days: Days = 365,
    margin_percent: MarginPercent = DEFAULT_MARGIN_PERCENT,
    limit: Limit = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Customers whose rewards cost more than their margin, or who buy only on promotion."""
    from regulars.analytics.profitability import bonus_hunters

    with analytics_session(db) as (_, _ctx, store):
        p = bonus_hunters(
            store,
            as_of_day(store, as_of),
            period_days=days or None,
            margin_percent=_percent(margin_percent),
        )
    if json:
        print_json(_profit_json(p, limit))
    else:
        _print_profit("Bonus hunters", p, limit)


def _money_ci(store: Store, i: Interval) -> dict[str, Any]:
    return {
        "estimate": store.money(i.estimate),
        "ci_low": None if i.low is None else store.money(i.low),
        "ci_high": None if i.high is None else store.money(i.high),
    }


def _rate_ci(i: Interval) -> dict[str, Any]:
    def r(x: float | None) -> Decimal | None:
        return None if x is None else Decimal(str(round(x, 4)))

    return {
        "estimate": r(i.estimate),
        "ci_low": r(i.low),
        "ci_high": r(i.high),
        "method": "newcombe",
    }


def _campaign_json(store: Store, c: CampaignPayoff) -> dict[str, Any]:
    return {
        "campaign": c.campaign,
        "kind": c.kind,
        "promotes": c.promotes,
        "sent_at": c.sent_at,
        "window_days": c.window_days,
        "window_complete": c.window_complete,
        "treatment": c.treatment,
        "control": c.control,
        "repeat_rate_uplift": _rate_ci(c.repeat_rate_uplift),
        "revenue_uplift_per_customer": {
            **_money_ci(store, c.revenue_uplift_per_customer),
            "method": "welch",
        },
        "incremental_margin": _money_ci(store, c.incremental_margin),
        "reward_cost": _money_ci(store, c.reward_cost),
        "contact_cost": c.contact_cost,
        "net": _money_ci(store, c.net),
        "paid_off": c.paid_off,
    }


def _rule_json(store: Store, r: RulePayoff) -> dict[str, Any]:
    return {
        "rule": r.rule,
        "recipients": r.recipients,
        "comparison": r.comparison,
        "reward_cost": r.reward_cost,
        "margin_change_recipients": r.margin_change_recipients,
        "margin_change_comparison": r.margin_change_comparison,
        "incremental_margin": _money_ci(store, r.incremental_margin),
        "net": _money_ci(store, r.net),
        "paid_off": r.paid_off,
        "method": r.method,
    }


def _span(d: dict[str, Any]) -> str:
    if d["ci_low"] is None:
        return f"{d['estimate']}"
    return f"{d['estimate']} [{d['ci_low']} … {d['ci_high']}]"


@app.command("payoff")
def payoff_command(
    campaign: Annotated[
        str | None, typer.Option("--campaign", help="Only this campaign (no loyalty rules).")
    ] = None,
    window_days: Annotated[
        int, typer.Option("--window-days", min=1, help="Days after sending that count.")
    ] = 30,
    rule_window_days: Annotated[
        int, typer.Option("--rule-window-days", min=1, help="Days before/after a first reward.")
    ] = 90,
    as_of: AsOf = None,
    margin_percent: MarginPercent = DEFAULT_MARGIN_PERCENT,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Did it pay off: campaigns (treatment vs control) and loyalty rules, with 95 % intervals."""
    from regulars.analytics.payoff import campaign_codes, campaign_payoff, rule_payoff

    pct = _percent(margin_percent)
    with analytics_session(db) as (_, _ctx, store):
        day = as_of_day(store, as_of)
        codes = [campaign] if campaign else campaign_codes(store)
        camps = []
        for code in codes:
            found = campaign_payoff(store, code, day, window_days, pct)
            if found is None:
                raise NotFound(f"no campaign {code!r}")
            camps.append(_campaign_json(store, found))
        rules = (
            []
            if campaign
            else [_rule_json(store, r) for r in rule_payoff(store, day, rule_window_days, pct)]
        )
        currency = store.scope.currency
    if json:
        print_json({"as_of": day, "currency": currency, "campaigns": camps, "rules": rules})
        return
    print_table(
        f"Campaigns (95 % intervals, {currency})",
        ["campaign", "treated / control", "repeat rate", "uplift", "net gain", "paid off"],
        [
            (
                c["campaign"],
                f"{c['treatment'].customers} / {c['control'].customers}",
                f"{c['treatment'].repeat_rate} vs {c['control'].repeat_rate}",
                _span(c["repeat_rate_uplift"]),
                _span(c["net"]),
                c["paid_off"] + ("" if c["window_complete"] else " (window still open)"),
            )
            for c in camps
        ],
    )
    if not campaign:
        print_table(
            f"Loyalty rules (observational, 95 % intervals, {currency})",
            ["rule", "recipients", "reward cost", "incremental margin", "net gain", "paid off"],
            [
                (
                    r["rule"],
                    r["recipients"],
                    r["reward_cost"],
                    _span(r["incremental_margin"]),
                    _span(r["net"]),
                    r["paid_off"],
                )
                for r in rules
            ],
        )
