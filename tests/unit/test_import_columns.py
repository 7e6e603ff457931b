"""The column-wise orders parser gives exactly what the row-by-row parser gives: the same
orders, values, errors with their line numbers, chunks, products and hashes."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulars.services.importing import order_rows
from regulars.services.importing.columns import ORDERS, map_header
from regulars.services.importing.decimal_columns import read_decimals
from regulars.services.importing.moment_columns import read_moments
from regulars.services.importing.order_rows import OrderRows
from regulars.services.importing.reading import open_source
from regulars.services.importing.sql import Native
from regulars.services.importing.values import CellError, Dates, fast_minor, quantity

HEADER = (
    "external_id,customer_external_id,placed_at,status,currency,sku,product_name,category,"
    "quantity,unit_price,unit_cost,store,channel,status_changed_at"
)
# lines that each take the exact path, for a reason of their own
ODD = [
    'O{n},C1,2024-03-01 10:00,paid,USD,S1,"Mug\nwith a line break",Ware,1,2.50,,,,',
    "O{n},C1,2024-03-01 10:00,paid,USD,S1,Mug,Ware,-2,2.50,,,,",
    "O{n},C1,2024-02-30,paid,USD,S1,Mug,Ware,1,2.50,,,,",
    "O{n},C1,2024-03-01,lost,USD,S1,Mug,Ware,1,2.50,,,,",
    "O{n},C1,2024-03-01,paid,XYZ,S1,Mug,Ware,1,2.50,,,,",
    "O{n},C1,2024-03-01,paid,USD,S1,Mug,Ware,1,2.505,,,,",
    "O{n},C1,2024-03-01,paid,USD,S1,Mug,Ware,1.0001,2,,,,",
    "O{n},C1,2024-03-01,paid,USD,S1,Mug,Ware,1e2,2,,,,",
    "O{n},C1,2024-03-01,paid,USD,S1,Mug,Ware,1,2,,,",
    "O{n},C1,2024-03-01,paid,USD,,Mug,Ware,1,2,,,,",
    ",C1,2024-03-01,paid,USD,S1,Mug,Ware,1,2,,,,",
    "O{n},,2024-03-01,paid,USD,S1,Mug,Ware,1,2,,,,",
    "O{n}, C1 ,2024-03-01 , Paid , usd ,  S1 , Mug ,Ware, 1 , 2.5 ,,,,",
    "O{n},C1,2999-03-01,paid,USD,S1,Mug,Ware,1,2,,,,",
    "O{n},C1,1850-03-01,paid,USD,S1,Mug,Ware,1,2,,,,",
    "O{n},C1,2024-03-01T10:00:00+07:00,paid,USD,S1,Mug,Ware,1,2,,,,",
    "O{n},C1,2024-03-01T10:00:00.250,paid,USD,S1,Mug,Ware,1,2,,,,",
    "O{n},C1,2024-03-10 02:30,paid,USD,S1,Mug,Ware,1,2,,,,",
    "O{n},C1,2024-03-01,paid,USD,S1,Mug,Ware,1,2,1.5,,,",
    "O{n},C1,2024-03-01,paid,USD,S1,Mug,Ware,1,2,-1,,,",
    "O{n},C1,2024-03-01,paid,USD,S1,Mug,Ware,1,2,,Shop 1,web,2024-03-02 09:00",
    "O{n},C1,2024-03-01,paid,USD,S1,Mug,Ware,1,2,,Shop 1,web,yesterday",
    "O{n},C1,2024-03-01,paid,USD,S1,Mug,Ware,1,2,," + "s" * 101 + ",,",
    "O{n},C1,2024-03-01,paid,USD,S1,Mug,Ware,99999999999999999999,2,,,,",
    "O{n},C1,2024-03-01,paid,JPY,S1,Mug,Ware,3,1500,,,,",
    "O{n},C1,2024-03-01,paid,USD,S1,Mug,Ware,٣,2,,,,",
]


def _file(tmp_path: Path, seed: int, orders: int = 400) -> Path:
    """Orders of 1-4 lines, mostly plain; about one in eight has an odd line somewhere."""
    rnd = random.Random(seed)
    rows = []
    for n in range(orders):
        day = f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        at = rnd.choice([day, f"{day} {rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}"])
        at = rnd.choice([at, f"{day}T08:15:00Z", f"{day}T08:15:00-05:00"])
        head = f"O{n},C{rnd.randint(1, 30)},{at},{rnd.choice(['paid', 'delivered', ''])},USD"
        lines = []
        for _ in range(rnd.randint(1, 4)):
            sku = rnd.randint(1, 40)
            qty = rnd.choice(["1", "2", "0.5", "1.250", "3."])
            price = rnd.choice(["2.50", "10", "0.99", "7.5"])
            cost = rnd.choice(["", "", "1.10"])
            lines.append(f"{head},S{sku},Product {sku},Cat {sku % 5},{qty},{price},{cost},,,")
        if rnd.random() < 0.12:
            odd = rnd.choice(ODD).format(n=n)
            lines.insert(rnd.randrange(len(lines) + 1), odd)
        if rnd.random() < 0.05:
            lines.append("")  # a blank line between orders
        rows.extend(lines)
    path = tmp_path / f"orders-{seed}.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _parse(path: Path, vectorised: bool, timezone: str, sqlite: bool = True) -> list[Any]:
    source = open_source(path, ORDERS.known)
    parser = OrderRows(
        map_header(ORDERS, source.header, path),
        Dates(None, timezone),
        "USD",
        Native("sqlite" if sqlite else "postgresql"),
        vectorised=vectorised,
    )
    parser.chunk_lines = 97  # many chunks, so their edges are tested too
    try:
        return list(parser.chunks(source.rows))
    finally:
        source.close()


def _snapshot(chunks: list[Any]) -> list[Any]:
    out = []
    for c in chunks:
        orders = [
            (
                o.external_id,
                o.rows,
                o.first_line,
                o.errors,
                *(o.customer_ref, o.placed_at, o.status, o.status_changed_at, o.currency),
                *(o.store, o.channel, o.lines, o.total_minor, o.hash, o.placed_native),
                *(o.since_native, o.local_day, o.line_rows),
            )
            for o in c.orders
        ]
        out.append((orders, c.last_line, c.products))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("timezone", ["UTC", "America/New_York", "Asia/Ho_Chi_Minh"])
def test_both_parsers_give_the_same_orders_errors_and_hashes(
    tmp_path: Path, seed: int, timezone: str, monkeypatch: Any
) -> None:
    path = _file(tmp_path, seed)
    exact = _snapshot(_parse(path, False, timezone))
    row_by_row = []
    parse = OrderRows.parse
    monkeypatch.setattr(
        OrderRows, "parse", lambda self, oid, rows: row_by_row.append(oid) or parse(self, oid, rows)
    )
    columns = _snapshot(_parse(path, True, timezone))
    assert columns == exact
    assert 0 < len(row_by_row) < 100  # of 400 orders: only those with an odd line
    errors = [e for chunk, _, _ in exact for o in chunk for e in o[3]]
    assert errors, "the file has bad lines"  # so the comparison covers rejected orders too


def test_both_parsers_agree_for_postgresql_values(tmp_path: Path) -> None:
    path = _file(tmp_path, 4)
    assert _snapshot(_parse(path, True, "UTC", sqlite=False)) == _snapshot(
        _parse(path, False, "UTC", sqlite=False)
    )


def test_bad_lines_keep_their_line_numbers_after_quoted_line_breaks(tmp_path: Path) -> None:
    good = "O{n},C1,2024-03-01,paid,USD,S1,Mug,Ware,1,2.50,,,,"
    rows = [good.format(n=n) for n in range(300)]
    rows[10] = 'O10,C1,2024-03-01,paid,USD,S1,"Mug\nwith\nbreaks",Ware,1,2.50,,,,'
    rows[250] = "O250,C1,2024-03-01,paid,USD,S1,Mug,Ware,-1,2.50,,,,"
    path = tmp_path / "o.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    orders = [o for c in _parse(path, True, "UTC") for o in c.orders]
    bad = [(e.line, e.column) for o in orders for e in o.errors]
    # the header is line 1, O0 line 2; O10 spans three lines, so O250 is on line 2 + 250 + 2
    assert bad == [(254, "quantity")]
    assert orders[10].lines[0][1] == "Mug\nwith\nbreaks" and orders[11].first_line == 15


def test_the_switch_selects_the_row_by_row_parser(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(order_rows, "VECTORISED", False)
    parser = OrderRows(
        map_header(ORDERS, HEADER.split(","), tmp_path / "o.csv"),
        Dates(None, "UTC"),
        "USD",
        Native("sqlite"),
    )
    assert parser.vectorised is False


# -- the column readers against the per-value code -------------------------------------------

_NUMBER = st.one_of(
    st.from_regex(r"\A[0-9]{0,13}([.,][0-9]{0,4})?\Z"),
    st.text(alphabet="0123456789.,-+e ٣", max_size=22),
)


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(_NUMBER, min_size=1, max_size=20), comma=st.booleans())
def test_plain_decimals_read_as_the_exact_code_reads_them(texts: list[str], comma: bool) -> None:
    texts = [t.strip() for t in texts]
    d = read_decimals(texts, decimal_comma=comma)
    for i, text in enumerate(texts):
        if not d.plain[i]:
            continue
        point = text.replace(",", ".") if comma and text.count(",") == 1 else text
        assert fast_minor(point, int(d.decimals[i])) == int(d.digits[i])
        if d.whole[i] <= 11 and d.digits[i] > 0 and d.decimals[i] <= 3:
            q = quantity(point)
            assert Decimal(q) * 1000 == int(d.scaled(3)[i])


_DAYS = st.dates(min_value=datetime(1800, 1, 1).date(), max_value=datetime(2100, 1, 1).date())


@st.composite
def _moment_texts(draw: Any) -> str:
    day = draw(_DAYS).isoformat()
    time = draw(st.sampled_from(["", " 10:30", "T02:30", "T23:59:59", " 24:00", "T10:30:00.5"]))
    zone = draw(st.sampled_from(["", "", "Z", "+07:00", "-05:30", "+25:00"])) if time else ""
    noise = draw(st.sampled_from(["", "", " ", "x"]))
    return day.replace("-", draw(st.sampled_from(["-", "-", "/"]))) + time + zone + noise


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(_moment_texts(), min_size=1, max_size=12),
    zone=st.sampled_from(["UTC", "Europe/Helsinki", "America/New_York", "Asia/Ho_Chi_Minh"]),
)
def test_times_read_as_the_exact_code_reads_them(texts: list[str], zone: str) -> None:
    dates = Dates(None, zone)
    m = read_moments(texts, dates, "placed_at")
    for i, text in enumerate(texts):
        try:
            when, day = Dates(None, zone).moment_and_day(text, "placed_at")
        except CellError:
            assert not m.ok[i], text
            continue
        assert m.ok[i], text
        assert int(m.utc_us[i]) == int(when.timestamp() * 1_000_000), text
        assert int(m.local_day[i]) == day.toordinal() - datetime(1970, 1, 1).toordinal(), text
