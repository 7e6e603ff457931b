"""`regulars clv …`: fit BG/NBD or Pareto/NBD with Gamma-Gamma spend, check them, predict CLV.

Data come from a transactions file (CSV or Parquet) or, without --transactions, from the
business's own paid orders. Bad input is one line on stderr and exit 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from regulars.cli.common import (
    DbOption,
    JsonOption,
    console,
    err_console,
    open_app,
    print_json,
    print_table,
)
from regulars.domain.money import minor_units

if TYPE_CHECKING:  # the models pull in scipy: loaded only when a clv command runs
    import pyarrow as pa

    from regulars.analytics.clv import CustomerSummary

MODELS = ("bgnbd", "pareto-nbd")  # the names regulars.analytics.clv.pipeline accepts

app = typer.Typer(
    no_args_is_help=True,
    help="Customer lifetime value: BG/NBD or Pareto/NBD purchases, Gamma-Gamma spend.",
)

EXIT_BAD_INPUT = 2

TransactionsOpt = Annotated[
    Path | None,
    typer.Option(
        "--transactions",
        help="CSV or Parquet file of transactions (default: this business's paid orders).",
    ),
]
CustomerColOpt = Annotated[str, typer.Option("--customer-col", help="Column of customer ids.")]
DateColOpt = Annotated[
    str, typer.Option("--date-col", help="Column of purchase dates (YYYY-MM-DD or YYYYMMDD).")
]
AmountColOpt = Annotated[str, typer.Option("--amount-col", help="Column of purchase amounts.")]
SepOpt = Annotated[str, typer.Option("--sep", help="CSV separator (one character; \\t for tab).")]
CalEndOpt = Annotated[
    str | None,
    typer.Option(
        "--calibration-end",
        help="Last day the models learn from, YYYY-MM-DD (default: the last purchase day).",
    ),
]
PeriodOpt = Annotated[str, typer.Option("--period", help="Time unit of the models: week or day.")]
ModelOpt = Annotated[str, typer.Option("--model", help=f"Purchase model: {' or '.join(MODELS)}.")]


@dataclass(frozen=True)
class Source:
    transactions: Path | None
    customer_col: str
    date_col: str
    amount_col: str
    sep: str
    db: str | None


@contextmanager
def _bad_input_exits() -> Iterator[None]:
    """Errors in the user's data or arguments: one line, exit 2 (the CLI contract)."""
    from regulars.analytics.clv import ClvFitError, ClvInputError

    try:
        yield
    except (ClvInputError, ClvFitError) as e:
        err_console.print(f"error: {e.message}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _parse_date(text: str, option: str) -> date:
    from regulars.analytics.clv import ClvInputError

    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ClvInputError(f"{option} expects a date like 1997-09-30, not {text!r}")


def _load(src: Source) -> tuple[pa.Table, int]:
    """The transactions and the number of decimals money is rounded to."""
    from regulars.analytics.clv import ClvInputError, read_transactions
    from regulars.analytics.clv.store_source import main_currency, orders_transactions

    if src.transactions is not None:
        sep = "\t" if src.sep in ("\\t", "tab") else src.sep
        if len(sep) != 1:
            raise ClvInputError(f"--sep must be one character, not {src.sep!r}")
        table = read_transactions(
            src.transactions,
            customer_col=src.customer_col,
            date_col=src.date_col,
            amount_col=src.amount_col,
            sep=sep,
        )
        return table, 2
    with open_app(src.db) as a:
        ctx = a.business()
        with a.engine.connect() as conn:
            currency = main_currency(conn, ctx.tenant_id) or ctx.default_currency
            table = orders_transactions(
                conn, tenant_id=ctx.tenant_id, currency=currency, timezone=ctx.timezone
            )
        return table, minor_units(currency)


def _summary(
    src: Source, calibration_end: str | None, period: str, holdout_end: str | None = None
) -> tuple[CustomerSummary, int]:
    from regulars.analytics.clv import summarise
    from regulars.analytics.clv.dates import from_day_number

    table, decimals = _load(src)
    if calibration_end is None:
        cal = from_day_number(int(table["day"].to_numpy().max()))
    else:
        cal = _parse_date(calibration_end, "--calibration-end")
    hold = _parse_date(holdout_end, "--holdout-end") if holdout_end else None
    return summarise(table, calibration_end=cal, period=period, holdout_end=hold), decimals


def _fmt(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


@app.command("fit")
def fit(
    transactions: TransactionsOpt = None,
    customer_col: CustomerColOpt = "customer_id",
    date_col: DateColOpt = "date",
    amount_col: AmountColOpt = "amount",
    sep: SepOpt = ",",
    calibration_end: CalEndOpt = None,
    period: PeriodOpt = "week",
    model: ModelOpt = "bgnbd",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fit the purchase model and the Gamma-Gamma spend model; print their parameters."""
    from regulars.analytics.clv import fit_clv

    with _bad_input_exits():
        src = Source(transactions, customer_col, date_col, amount_col, sep, db)
        summary, _ = _summary(src, calibration_end, period)
        result = fit_clv(summary, model).as_dict()
    if as_json:
        print_json(result)
        return
    params = result["params"]
    spend = result["spend"]
    assert isinstance(params, dict)
    rows: list[list[Any]] = [[str(result["model"]), k, _fmt(v)] for k, v in params.items()]
    if isinstance(spend, dict):
        rows += [["gamma-gamma", k, _fmt(v)] for k, v in spend.items()]
    print_table("CLV model parameters", ["model", "parameter", "value"], rows)
    console.print(
        f"log-likelihood {result['log_likelihood']:.2f} over {result['n_customers']} customers"
        f" (time in {period}s, calibration up to {summary.calibration_end})",
        highlight=False,
    )


@app.command("evaluate")
def evaluate(
    holdout_end: Annotated[
        str, typer.Option("--holdout-end", help="Last day of the holdout period, YYYY-MM-DD.")
    ],
    calibration_end: Annotated[
        str, typer.Option("--calibration-end", help="Last day the model learns from.")
    ],
    transactions: TransactionsOpt = None,
    customer_col: CustomerColOpt = "customer_id",
    date_col: DateColOpt = "date",
    amount_col: AmountColOpt = "amount",
    sep: SepOpt = ",",
    period: PeriodOpt = "week",
    model: ModelOpt = "bgnbd",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fit up to the calibration end, then compare predicted and actual purchases in the holdout."""
    from regulars.analytics.clv import evaluate_holdout
    from regulars.analytics.clv.pipeline import fit_purchase_model

    with _bad_input_exits():
        src = Source(transactions, customer_col, date_col, amount_col, sep, db)
        summary, _ = _summary(src, calibration_end, period, holdout_end)
        ev = evaluate_holdout(fit_purchase_model(summary, model), summary)
    result = {
        "predicted_holdout_transactions": ev.predicted_holdout_transactions,
        "actual_holdout_transactions": ev.actual_holdout_transactions,
        "per_customer_mae": ev.per_customer_mae,
        "correlation": None if ev.correlation != ev.correlation else ev.correlation,
    }
    if as_json:
        print_json(result)
        return
    print_table(
        f"Holdout {summary.calibration_end} .. {holdout_end} ({model}, {ev.n_customers} customers)",
        ["measure", "value"],
        [[k.replace("_", " "), _fmt(v)] for k, v in result.items()],
    )


@app.command("predict")
def predict(
    transactions: TransactionsOpt = None,
    customer_col: CustomerColOpt = "customer_id",
    date_col: DateColOpt = "date",
    amount_col: AmountColOpt = "amount",
    sep: SepOpt = ",",
    calibration_end: CalEndOpt = None,
    period: PeriodOpt = "week",
    model: ModelOpt = "bgnbd",
    horizon: Annotated[int, typer.Option("--horizon", help="Months ahead.", min=1)] = 12,
    discount_rate: Annotated[
        float, typer.Option("--discount-rate", help="Monthly discount rate (0.01 = 1 %).")
    ] = 0.01,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write every customer to a .csv or .parquet file.")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Customers shown without --out.")] = 20,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Per customer: P(alive), expected purchases and spend, and discounted CLV over the horizon."""
    from regulars.analytics.clv import ClvInputError, fit_clv, predict_table, write_table
    from regulars.analytics.clv.pipeline import total_clv

    with _bad_input_exits():
        src = Source(transactions, customer_col, date_col, amount_col, sep, db)
        summary, decimals = _summary(src, calibration_end, period)
        table = predict_table(
            fit_clv(summary, model),
            summary,
            horizon_months=horizon,
            discount_rate=discount_rate,
            decimals=decimals,
        )
        if out is not None:
            try:
                write_table(table, out)
            except OSError as e:
                raise ClvInputError(f"cannot write {out}: {e.strerror or e}") from None
    total = total_clv(table)
    if as_json:
        customers = [] if out is not None else table.to_pylist()
        print_json(
            {
                "n_customers": table.num_rows,
                "total_clv": total,
                "out": str(out) if out else None,
                "customers": customers,
            }
        )
        return
    if out is not None:
        console.print(
            f"{table.num_rows} customers written to {out} (total CLV {total})", highlight=False
        )
        return
    ranked = table.sort_by([("clv", "descending")]).slice(0, top).to_pylist()
    print_table(
        f"Top {len(ranked)} of {table.num_rows} customers by CLV over {horizon} months"
        f" (total {total})",
        list(table.column_names),
        [[r[c] for c in table.column_names] for r in ranked],
    )
