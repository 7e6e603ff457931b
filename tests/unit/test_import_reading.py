"""Reading import files (CSV dialects, BOM, .xlsx) and validating their rows, without a database."""

from __future__ import annotations

import codecs
import random
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from regulars.services.importing import reading
from regulars.services.importing.columns import CUSTOMERS, ORDERS, map_header
from regulars.services.importing.customer_rows import CustomerRows
from regulars.services.importing.order_rows import OrderRows
from regulars.services.importing.reading import UnusableFile, open_source
from regulars.services.importing.sql import Native
from regulars.services.importing.values import Dates

ORDER_HEADER = "external_id,customer_external_id,placed_at,status,currency,sku,quantity,unit_price"


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def _rows(path: Path, spec=ORDERS) -> tuple[list[str], list[tuple[int, list]]]:
    source = open_source(path, spec.known)
    try:
        return source.header, list(source.rows)
    finally:
        source.close()


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_delimiter_is_detected_from_the_header(tmp_path: Path, delimiter: str) -> None:
    text = ORDER_HEADER.replace(",", delimiter) + "\n"
    text += delimiter.join(["O1", "C1", "2024-01-02", "paid", "EUR", "S1", "1", "2,50"]) + "\n"
    if delimiter == ",":
        text = text.replace("2,50", '"2,50"')
    header, rows = _rows(_write(tmp_path, "o.csv", text))
    assert header[:3] == ["external_id", "customer_external_id", "placed_at"]
    assert rows == [(2, ["O1", "C1", "2024-01-02", "paid", "EUR", "S1", "1", "2,50"])]


def test_a_semicolon_file_may_write_decimal_commas(tmp_path: Path) -> None:
    text = ORDER_HEADER.replace(",", ";") + "\nO1;C1;2024-01-02;paid;EUR;S1;1,5;2,50\n"
    path = _write(tmp_path, "o.csv", text)
    source = open_source(path, ORDERS.known)
    parser = OrderRows(
        map_header(ORDERS, source.header, path),
        Dates(None, "UTC"),
        "EUR",
        Native("sqlite"),
        decimal_comma=source.delimiter == ";",
    )
    (chunk,) = list(parser.chunks(source.rows))
    source.close()
    (order,) = chunk.orders
    assert order.errors == [] and order.lines[0][3:6] == (Decimal("1.5"), 250, 375)


def test_a_bom_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "o.csv", codecs.BOM_UTF8 + f"{ORDER_HEADER}\nO1,C1,2024-01-02,,,S,1,2\n".encode()
    )
    header, _ = _rows(path)
    cmap = map_header(ORDERS, header, path)
    assert cmap.at("external_id") == 0


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(tmp_path: Path) -> None:
    text = 'external_id,kind,name\nC1,person,Ann\n\nC2,company,"Hoa Sen\nTrading"\nC3,person,Bo\n'
    _, rows = _rows(_write(tmp_path, "c.csv", text), CUSTOMERS)
    assert [(line, values[0]) for line, values in rows] == [(2, "C1"), (4, "C2"), (6, "C3")]


@pytest.mark.parametrize("seed", range(4))
def test_rows_read_in_batches_keep_the_line_each_starts_on(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blank lines, rows of empty cells, quoted breaks (\\n, \\r\\n, \\r) and every line ending:
    each row's line is the one a per-row count gives, also across the edges of the batches."""
    monkeypatch.setattr(reading, "_ROWS_AT_ONCE", 7)
    rnd = random.Random(seed)
    ending = rnd.choice(["\n", "\r\n", "\r"])
    lines = ["external_id,kind,name"]
    expected = []
    at = 2  # the line the next row starts on
    for n in range(300):
        kind = rnd.random()
        if kind < 0.05:
            lines.append("")
        elif kind < 0.08:
            lines.append(",,")
        else:
            name, breaks = f"Name {n}", 0
            if kind < 0.2:
                inside = rnd.choice(["\n", "\r\n", "\r", "\n\n"])
                name, breaks = f'"A{inside}B"', len(inside.replace("\r\n", "\n"))
            expected.append((at, f"C{n}"))
            lines.append(f"C{n},person,{name}")
            at += breaks
        at += 1
    path = _write(tmp_path, "c.csv", ending.join(lines) + rnd.choice(["", ending]))
    _, rows = _rows(path, CUSTOMERS)
    assert [(line, values[0]) for line, values in rows] == expected


def test_headers_match_case_spaces_and_aliases(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    cmap = map_header(
        ORDERS,
        ["Order ID", "Customer ID", "Placed At", "SKU", "Qty", "Price", "Colour"],
        path,
    )
    assert [cmap.at(c) for c in ("external_id", "customer_external_id", "quantity")] == [0, 1, 4]
    assert cmap.ignored == ["Colour"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (f"{ORDER_HEADER}\n".encode(), "has a header but no data rows"),
        (b"external_id|customer_external_id\nO1|C1\n", "missing required column(s)"),
        (f"{ORDER_HEADER}\nO1,C1,2024-01-02,,,café,1,2\n".encode("latin-1"), "not UTF-8 text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text table"),
        (b"external_id,sku,external_id\n1,2,3\n", "appears twice"),
    ],
    ids=["empty", "header-only", "wrong-delimiter", "latin-1", "binary", "doubled-column"],
)
def test_unusable_files_are_refused_whole(tmp_path: Path, content: bytes, message: str) -> None:
    path = _write(tmp_path, "o.csv", content)
    with pytest.raises(UnusableFile, match=message.replace("(", r"\(").replace(")", r"\)")):
        header, _ = _rows(path)
        map_header(ORDERS, header, path)


def test_undecodable_bytes_are_reported_with_their_line(tmp_path: Path) -> None:
    good = "O1,C1,2024-01-02,,,S,1,2\n" * 5
    path = _write(tmp_path, "o.csv", f"{ORDER_HEADER}\n{good}".encode() + b"O9,C\xff,x\n")
    with pytest.raises(UnusableFile, match="line 7"):
        _rows(path)


def test_xlsx_cells_keep_dates_and_read_numbers_as_written(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(ORDER_HEADER.split(","))
    ws.append(["O1", "C1", datetime(2024, 1, 2, 9, 30), "paid", "EUR", "S1", 2, 0.1 + 0.2])
    ws.append([])
    ws.append(["O2", "C1", datetime(2024, 1, 3), "paid", "EUR", "S1", 1.5, 19.9])
    path = tmp_path / "o.xlsx"
    wb.save(path)
    header, rows = _rows(path)
    assert header[:2] == ["external_id", "customer_external_id"]
    assert rows[0] == (
        2,
        ["O1", "C1", datetime(2024, 1, 2, 9, 30), "paid", "EUR", "S1", "2", "0.3"],
    )
    assert rows[1][0] == 4 and rows[1][1][6:] == ["1.5", "19.9"]


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnusableFile, match=r"not a readable \.xlsx"):
        _rows(_write(tmp_path, "o.xlsx", b"PK\x03\x04 not really a zip"))


# -- orders rows ---------------------------------------------------------------------------


def _orders(tmp_path: Path, body: str, header: str = ORDER_HEADER):
    path = _write(tmp_path, "o.csv", f"{header}\n{body}")
    source = open_source(path, ORDERS.known)
    cmap = map_header(ORDERS, source.header, path)
    parser = OrderRows(cmap, Dates(None, "Asia/Ho_Chi_Minh"), "VND", Native("sqlite"))
    try:
        return [o for chunk in parser.chunks(source.rows) for o in chunk.orders]
    finally:
        source.close()


def _errors(order) -> list[tuple[int, str | None, str]]:
    return [(e.line, e.column, e.reason) for e in order.errors]


def test_consecutive_lines_make_one_order_with_its_total(tmp_path: Path) -> None:
    (order,) = _orders(
        tmp_path,
        "O1,C1,2024-01-02 10:00,paid,THB,S1,1.5,420.25\nO1,C1,2024-01-02 10:00,paid,THB,S2,2,10\n",
    )
    assert order.errors == []
    # 1.5 x 420.25 = 630.375 -> 630.38 (half up, in satang)
    assert [ln[5] for ln in order.lines] == [63038, 2000] and order.total_minor == 65038
    assert order.lines[0][3] == Decimal("1.5")
    # a local time: 10:00 in Ho Chi Minh City is 03:00 UTC
    assert order.placed_at == datetime(2024, 1, 2, 3, 0, tzinfo=UTC)


def test_missing_status_and_currency_default_to_a_delivered_sale_in_the_business_currency(
    tmp_path: Path,
) -> None:
    header = "external_id,customer_external_id,placed_at,sku,quantity,unit_price"
    (order,) = _orders(tmp_path, "O1,C1,2024-01-02,S1,1,50000\n", header)
    assert (order.status, order.currency, order.total_minor) == ("delivered", "VND", 50000)


@pytest.mark.parametrize(
    ("line", "column", "reason"),
    [
        ("O1,C1,2024-02-30,paid,VND,S1,1,1", "placed_at", "is not an ISO 8601 date"),
        ("O1,C1,2999-01-01,paid,VND,S1,1,1", "placed_at", "is in the future"),
        ("O1,C1,2024-01-02,lost,VND,S1,1,1", "status", "unknown status 'lost'"),
        ("O1,C1,2024-01-02,paid,XYZ,S1,1,1", "currency", "unknown currency"),
        ("O1,C1,2024-01-02,paid,VND,S1,-2,1", "quantity", "must be more than 0"),
        ("O1,C1,2024-01-02,paid,VND,S1,0.0001,1", "quantity", "more than 3 decimals"),
        ("O1,C1,2024-01-02,paid,VND,S1,two,1", "quantity", "is not a number"),
        ("O1,C1,2024-01-02,paid,VND,S1,1,1.5", "unit_price", "more decimals than the currency"),
        ("O1,C1,2024-01-02,paid,EUR,S1,1,-3", "unit_price", "must not be negative"),
        ("O1,C1,2024-01-02,paid,VND,,1,1", "sku", "is required"),
        ("O1,,2024-01-02,paid,VND,S1,1,1", "customer_external_id", "is required"),
    ],
)
def test_a_bad_value_is_reported_with_line_column_and_reason(
    tmp_path: Path, line: str, column: str, reason: str
) -> None:
    (order,) = _orders(tmp_path, line + "\n")
    assert [(e.line, e.column) for e in order.errors] == [(2, column)]
    assert reason in order.errors[0].reason


def test_lines_that_disagree_reject_the_whole_order(tmp_path: Path) -> None:
    (order,) = _orders(
        tmp_path,
        "O1,C1,2024-01-02,paid,EUR,S1,1,2\n"
        "O1,C2,2024-01-02,paid,EUR,S2,1,2\n"
        "O1,C1,2024-01-02T00:00,PAID,eur,S3,1,2\n",  # the same values, written differently
    )
    assert _errors(order) == [
        (
            3,
            "customer_external_id",
            "order 'O1' has 'C1' on line 2 but 'C2' here: the lines of one order must agree",
        )
    ]
    rejected = [(line, [e.reason for e in errors]) for line, _, errors in order.rejected_rows()]
    assert [line for line, _ in rejected] == [2, 3, 4]
    assert rejected[0][1] == ["order 'O1' is rejected whole because of line 3"]


def test_a_date_format_reads_other_layouts(tmp_path: Path) -> None:
    path = _write(tmp_path, "o.csv", f"{ORDER_HEADER}\nO1,C1,31/01/2024,paid,VND,S1,1,1\n")
    source = open_source(path, ORDERS.known)
    parser = OrderRows(
        map_header(ORDERS, source.header, path), Dates("%d/%m/%Y", "UTC"), "VND", Native("sqlite")
    )
    (chunk,) = list(parser.chunks(source.rows))
    source.close()
    assert chunk.orders[0].placed_at == datetime(2024, 1, 31, tzinfo=UTC)


def test_the_hash_ignores_spelling_but_not_content(tmp_path: Path) -> None:
    a, b, c = _orders(
        tmp_path,
        "O1,C1,2024-01-02,paid,EUR,S1,2,2.50\n"
        "O2,C1,2024-01-02T00:00:00,Paid,eur,S1,2.000,2.5\n"
        "O3,C1,2024-01-02,paid,EUR,S1,3,2.50\n",
    )
    assert a.hash == b.hash != c.hash


# -- customers rows ------------------------------------------------------------------------


def _customers(tmp_path: Path, text: str):
    path = _write(tmp_path, "c.csv", text)
    source = open_source(path, CUSTOMERS.known)
    cmap = map_header(CUSTOMERS, source.header, path)
    parser = CustomerRows(cmap, Dates(None, "Asia/Ho_Chi_Minh"), "VN", "vi")
    try:
        return [c for chunk in parser.chunks(source.rows) for c in chunk.customers]
    finally:
        source.close()


def test_customer_rows_are_normalised(tmp_path: Path) -> None:
    an, maria, hoa_sen = _customers(
        tmp_path,
        "external_id,kind,name,email,phone,language,birthday,consent_email_marketing,country\n"
        "C1,,Nguyễn Văn An,An@Example.VN,0912 345 678 | 0912345678,vi,1985-03-14,yes,vn\n"
        "C2,person,María José García López,mj@example.es|mj@work.es,+34 612 345 678,es-es,,no,\n"
        "C3,Company,Công ty TNHH Hoa Sen,,028 3822 1234,,,,\n",
    )
    assert an.errors == maria.errors == hoa_sen.errors == []
    assert an.phones == ["+84912345678"] and an.emails == ["an@example.vn"]
    assert (an.fields["family_name"], an.fields["given_name"]) == ("Nguyễn", "An")
    assert an.fields["birthday"] == date(1985, 3, 14)
    assert an.consents == {("email", "marketing"): True} and an.address[-1] == "VN"
    assert (maria.fields["given_name"], maria.fields["family_name"]) == (
        "María José",
        "García López",
    )
    assert maria.fields["language"] == "es-ES" and maria.consents == {("email", "marketing"): False}
    assert hoa_sen.fields["kind"] == "company" and hoa_sen.fields["given_name"] is None
    assert hoa_sen.fields["name_key"] == "hoa sen"


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ("C1,person,An,,12345,,", "phone", "invalid phone '12345'"),
        ("C1,person,An,an@@x,,,", "email", "invalid e-mail"),
        ("C1,alien,Zork,,,,", "kind", "is not one of: person, company"),
        ("C1,person,An,,,,31/12/1990", "birthday", "is not an ISO 8601 date"),
        ("C1,person,An,,,,2999-01-01", "birthday", "is in the future"),
        ("C1,person,,,,,", "name", "a name is required"),
        (",person,An,,,,", "external_id", "is required"),
        ("C1,person,An,,,xx-yy-zz!,", "language", "invalid language"),
    ],
)
def test_a_bad_customer_value_is_reported(
    tmp_path: Path, cells: str, column: str, reason: str
) -> None:
    (c,) = _customers(tmp_path, f"external_id,kind,name,email,phone,language,birthday\n{cells}\n")
    assert [e.column for e in c.errors] == [column]
    assert reason in c.errors[0].reason


def test_a_row_with_the_wrong_number_of_cells_is_refused(tmp_path: Path) -> None:
    (c,) = _customers(tmp_path, "external_id,kind,name\nC1,person,Ann,extra\n")
    assert [(e.line, e.column) for e in c.errors] == [(2, None)]
    assert "has 4 columns, the header has 3" in c.errors[0].reason
