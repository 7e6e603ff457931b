"""Transactions to per-customer summary: a hand-made example with its answers written in."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from regulars.analytics.clv import ClvInputError, read_transactions, summarise, transactions_table
from regulars.analytics.clv.store_source import orders_transactions

CSV = """customer_id,date,amount
ann,2024-01-01,10
ann,2024-01-01,5
ann,2024-01-08,20
ann,2024-01-29,40
bob,2024-01-15,0
cat,2024-01-22,12.5
cat,2024-01-25,7.5
ann,2024-02-05,99
cat,2024-02-10,1
cat,2024-02-10,1
dan,2024-02-01,30
"""


def write(tmp_path: Path, text: str, name: str = "tx.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def by_customer(s, values):  # type: ignore[no-untyped-def]
    return dict(zip(s.customer_id.to_pylist(), np.asarray(values).tolist(), strict=True))


def test_the_hand_made_summary(tmp_path: Path) -> None:
    tx = read_transactions(
        write(tmp_path, CSV), customer_col="customer_id", date_col="date", amount_col="amount"
    )
    s = summarise(
        tx, calibration_end=date(2024, 1, 31), period="week", holdout_end=date(2024, 2, 29)
    )
    # dan bought only after the calibration end: not a customer yet
    assert sorted(s.customer_id.to_pylist()) == ["ann", "bob", "cat"]
    # ann: 1 Jan (two orders, one day), 8 Jan, 29 Jan -> 2 repeat days
    assert by_customer(s, s.frequency) == {"ann": 2, "bob": 0, "cat": 1}
    assert by_customer(s, s.recency) == pytest.approx({"ann": 4.0, "bob": 0.0, "cat": 3 / 7})
    assert by_customer(s, s.T) == pytest.approx({"ann": 30 / 7, "bob": 16 / 7, "cat": 9 / 7})
    # mean of the repeat purchases only; bob's $0 only order is kept with monetary 0
    assert by_customer(s, s.monetary) == pytest.approx({"ann": 30.0, "bob": 0.0, "cat": 7.5})
    assert by_customer(s, s.holdout_frequency) == {"ann": 1, "bob": 0, "cat": 1}
    assert s.holdout_length == pytest.approx(29 / 7)


def test_days_are_the_unit_with_period_day(tmp_path: Path) -> None:
    tx = read_transactions(
        write(tmp_path, CSV), customer_col="customer_id", date_col="date", amount_col="amount"
    )
    s = summarise(tx, calibration_end=date(2024, 1, 31), period="day")
    assert by_customer(s, s.T)["ann"] == 30.0


@pytest.mark.parametrize(
    "column",
    [
        pa.array(["2024-01-01", "2024-01-08"]),
        pa.array(["20240101", "20240108"]),
        pa.array([20240101, 20240108]),
        pa.array(["2024-01-01T09:30:00", "2024-01-08 23:59:59"]),
        pa.array([date(2024, 1, 1), date(2024, 1, 8)]),
        pa.array([datetime(2024, 1, 1, 9, tzinfo=UTC), datetime(2024, 1, 8, 9, tzinfo=UTC)]),
    ],
    ids=["iso", "yyyymmdd-text", "yyyymmdd-int", "iso-datetime", "date", "timestamp"],
)
def test_dates_may_come_in_many_shapes(column: pa.Array) -> None:
    tx = transactions_table(
        pa.table({"c": [1, 1], "d": column, "a": [1.0, 2.0]}),
        customer_col="c",
        date_col="d",
        amount_col="a",
    )
    s = summarise(tx, calibration_end=date(2024, 1, 15), period="week")
    assert s.frequency.tolist() == [1] and s.recency.tolist() == [1.0] and s.T.tolist() == [2.0]


def test_parquet_files_read_like_csv(tmp_path: Path) -> None:
    path = tmp_path / "tx.parquet"
    pq.write_table(
        pa.table({"who": ["x", "x"], "when": ["2024-01-01", "2024-01-03"], "amt": [1, 3]}), path
    )
    tx = read_transactions(path, customer_col="who", date_col="when", amount_col="amt")
    s = summarise(tx, calibration_end=date(2024, 1, 3), period="day")
    assert s.monetary.tolist() == [3.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("customer_id,date,amount\n", "has no rows"),
        ("customer_id,day,amount\n1,2024-01-01,3\n", "no column 'date'"),
        ("customer_id,date,amount\n1,2024-02-30,3\n", "cannot read the date '2024-02-30'"),
        ("customer_id,date,amount\n1,yesterday,3\n", "cannot read the date 'yesterday'"),
        ("customer_id,date,amount\n1,2024-01-01,lots\n", "does not hold numbers"),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ClvInputError, match=message):
        read_transactions(
            write(tmp_path, text), customer_col="customer_id", date_col="date", amount_col="amount"
        )


def test_a_calibration_end_before_any_purchase_is_refused(tmp_path: Path) -> None:
    tx = read_transactions(
        write(tmp_path, CSV), customer_col="customer_id", date_col="date", amount_col="amount"
    )
    with pytest.raises(ClvInputError, match="first is on 2024-01-01"):
        summarise(tx, calibration_end=date(2023, 12, 31))


def test_store_orders_become_local_purchase_days() -> None:
    """Revenue orders only, in one currency, dated on the business's calendar (UTC+7 here)."""
    orders = pa.table(
        {
            "customer_id": [1, 1, 1, 2, 2],
            "placed_at": pa.array(
                [
                    datetime(2024, 1, 1, 20, 0),  # 03:00 on 2 Jan in Ho Chi Minh City
                    datetime(2024, 1, 2, 1, 0),  # same local day: merged
                    datetime(2024, 1, 9, 1, 0),
                    datetime(2024, 1, 5, 1, 0),
                    datetime(2024, 1, 6, 1, 0),
                ],
                pa.timestamp("us", tz="UTC"),
            ),
            "total_minor": [1000, 500, 2000, 700, 800],
            "status": ["paid", "delivered", "shipped", "delivered", "cancelled"],
            "currency": ["USD", "USD", "USD", "USD", "USD"],
        }
    )
    tx = orders_transactions(orders, tenant_id=1, currency="USD", timezone="Asia/Ho_Chi_Minh")
    s = summarise(tx, calibration_end=date(2024, 1, 16), period="day")
    assert by_customer(s, s.frequency) == {1: 1, 2: 0}
    assert by_customer(s, s.T) == {1: 14.0, 2: 11.0}
    assert by_customer(s, s.monetary) == {1: 20.0, 2: 0.0}
