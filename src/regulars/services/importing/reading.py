"""Reading import files: CSV (UTF-8 with or without BOM; `,` `;` or tab) and .xlsx, streamed.

A file that cannot be used at all (missing, empty, not UTF-8, not a table, no data rows) is refused
with `UnusableFile` before anything is written. Rows come out one by one with their line number,
so memory stays flat whatever the size of the file.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import chain, islice
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from regulars.domain.errors import DomainError

DELIMITERS = (",", ";", "\t")
_BLOCK = 1 << 20
_ROWS_AT_ONCE = 4096
_SEPARATORS = re.compile(r"[\s\-]+")
_ZIP_MAGIC = b"PK\x03\x04"

csv.field_size_limit(1 << 24)


class UnusableFile(DomainError):
    """The file as a whole cannot be imported: nothing is written, the CLI exits with 2."""

    code = "unusable_file"


def normalize_header(name: Any) -> str:
    """'Customer External ID' -> 'customer_external_id': how columns are matched."""
    return _SEPARATORS.sub("_", str(name or "").strip().lower()).strip("_")


@dataclass
class Source:
    """An open table: its header as written, and its data rows as (line number, values)."""

    path: Path
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    total_lines: int | None  # for progress bars; None when unknown
    delimiter: str = ","
    bom: bool = False
    closers: list[Callable[[], None]] = field(default_factory=list)
    typed: bool = False  # a workbook: date cells come as datetime, not text

    def close(self) -> None:
        for close in self.closers:
            close()


def open_source(path: Path, known: Callable[[str], bool]) -> Source:
    """Open `path` for import; `known` tells which normalised header names are ours.

    The delimiter is the one under which the header shows the most known columns.
    """
    if not path.is_file():
        raise UnusableFile(f"{path}: no such file")
    with path.open("rb") as f:
        magic = f.read(4)
    if not magic:
        raise UnusableFile(f"{path.name} is empty")
    if path.suffix.lower() in (".xlsx", ".xlsm") or magic == _ZIP_MAGIC:
        source = _open_xlsx(path)
    else:
        source = _open_csv(path, known)
    try:
        first = next(source.rows)
    except StopIteration:
        source.close()
        raise UnusableFile(f"{path.name} has a header but no data rows") from None
    except BaseException:
        source.close()
        raise
    source.rows = chain([first], source.rows)
    return source


def _scan_utf8(path: Path) -> tuple[int, bool]:
    """Check the whole file decodes as UTF-8 before importing (so nothing is half-written).

    Returns the number of lines and whether the file starts with a BOM.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines = 0
    bom = False
    offset = 0
    last = b""
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            if offset == 0:
                bom = block.startswith(codecs.BOM_UTF8)
            if b"\x00" in block:
                raise UnusableFile(f"{path.name} is not a text table (it contains binary data)")
            try:
                decoder.decode(block)
            except UnicodeDecodeError as e:
                line = lines + block.count(b"\n", 0, e.start) + 1
                raise UnusableFile(
                    f"{path.name} is not UTF-8 text (undecodable bytes on line {line}); "
                    "save it as 'CSV UTF-8'"
                ) from None
            lines += block.count(b"\n")
            offset += len(block)
            last = block[-1:]
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise UnusableFile(
                f"{path.name} is not UTF-8 text (it ends in the middle of a character)"
            ) from None
    if last != b"\n":
        lines += 1
    return lines, bom


def _pick_delimiter(header_line: str, known: Callable[[str], bool]) -> str:
    def score(delim: str) -> tuple[int, int]:
        fields = next(csv.reader([header_line], delimiter=delim), [])
        return sum(1 for f in fields if known(normalize_header(f))), len(fields)

    return max(DELIMITERS, key=score)


def _open_csv(path: Path, known: Callable[[str], bool]) -> Source:
    total, bom = _scan_utf8(path)
    f: IO[str] = path.open(encoding="utf-8-sig", newline="", buffering=_BLOCK)
    try:
        header_line = f.readline()
        while header_line and not header_line.strip():
            header_line = f.readline()
        if not header_line:
            raise UnusableFile(f"{path.name} is empty")
        delimiter = _pick_delimiter(header_line, known)
        f.seek(0)
        reader = csv.reader(f, delimiter=delimiter)
        header: list[str] = []
        for values in reader:
            if any(v.strip() for v in values):
                header = values
                break
    except BaseException:
        f.close()
        raise
    return Source(path, header, _csv_rows(reader), total, delimiter, bom, [f.close])


def _csv_rows(reader: Any) -> Iterator[tuple[int, list[Any]]]:
    """Data rows with the line each starts on (a quoted field may span lines); skips blank rows.

    Rows are read a batch at a time: when the batch took one line per row (the usual case),
    the line numbers follow from the reader's count without a Python step per row.
    """
    prev = reader.line_num
    while batch := list(islice(reader, _ROWS_AT_ONCE)):
        end = reader.line_num
        if end - prev == len(batch):  # each row is one line
            numbered = zip(range(prev + 1, end + 1), batch, strict=True)
            if all(batch) and all(map(itemgetter(0), batch)):  # and none is blank
                yield from numbered
            else:
                yield from ((n, v) for n, v in numbered if v and (v[0] or any(v)))
        else:
            line = prev
            for values in batch:
                start = line + 1
                line = start + sum(map(_line_breaks, values))
                if values and (values[0] or any(values)):
                    yield start, values
            if line != end:  # cannot happen: the reader counts line breaks as _line_breaks does
                raise RuntimeError(f"line numbers out of step at line {end}")
        prev = end


def _line_breaks(value: str) -> int:
    """Line breaks inside a (quoted) value, counted as the file's lines are split."""
    return value.count("\n") + value.count("\r") - value.count("\r\n")


def _open_xlsx(path: Path) -> Source:
    import openpyxl  # a heavy import, only for workbooks
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise UnusableFile(f"{path.name} is not a readable .xlsx workbook") from None
    try:
        ws = wb.worksheets[0]
        total = ws.max_row if isinstance(ws.max_row, int) else None
        rows = enumerate(ws.iter_rows(values_only=True), start=1)
        header: list[str] = []
        for _, cells in rows:
            values = [_cell(c) for c in cells]
            if any(isinstance(v, datetime) or v.strip() for v in values):
                header = [str(v) for v in values]
                break
        if not header:
            raise UnusableFile(f"{path.name} is empty")
    except BaseException:
        wb.close()
        raise
    return Source(path, header, _xlsx_rows(rows), total, closers=[wb.close], typed=True)


def _xlsx_rows(rows: Iterator[tuple[int, tuple[Any, ...]]]) -> Iterator[tuple[int, list[Any]]]:
    for line, cells in rows:
        values = [_cell(c) for c in cells]
        if any(isinstance(v, datetime) or v for v in values):
            yield line, values


def _cell(value: Any) -> Any:
    """Workbook cells as text, except dates and times, which stay datetime (no format guessing)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    return str(value)


def cell_text(value: Any) -> str:
    """A value as it goes back into a rejects file."""
    if isinstance(value, datetime):
        return value.isoformat(" ") if value.time() != time() else value.date().isoformat()
    return str(value)
