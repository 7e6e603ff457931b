"""Shared CLI pieces: the --db/--json options, the App for a command, JSON and table output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from regulars.bootstrap import App, make_app

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="REGULARS_DATABASE_URL",
        help="SQLAlchemy database URL (default: sqlite:///regulars.db in the current directory).",
        show_envvar=True,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

console = Console()
err_console = Console(stderr=True)


@contextmanager
def open_app(db: str | None) -> Iterator[App]:
    app = make_app(db)
    try:
        yield app
    finally:
        app.close()


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return str(o)
    if isinstance(o, datetime | date):
        return o.isoformat()
    if isinstance(o, Enum):
        return o.value
    if hasattr(o, "__dataclass_fields__"):
        return {k: getattr(o, k) for k in o.__dataclass_fields__}
    if isinstance(o, set | frozenset | tuple):
        return list(o)
    raise TypeError(f"cannot serialise {type(o).__name__}")


def to_json(data: Any) -> str:
    return json.dumps(data, default=_default, ensure_ascii=False, indent=2)


def print_json(data: Any) -> None:
    sys.stdout.write(to_json(data) + "\n")


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col)
    for row in rows:
        # Cells are data, never markup: a SKU like "CUP:X:1" must not turn into an emoji.
        table.add_row(*(Text("" if v is None else str(v)) for v in row))
    console.print(table)


def pct(share: Any) -> str:
    """A share between 0 and 1 as people read it in a table: 0.1319 → "13.2 %"."""
    if share is None or share == "":
        return ""
    return f"{Decimal(str(share)) * 100:.1f} %"


def grouped(amount: Any) -> str:
    """A money amount with thousands separators for tables: 242910000 → "242,910,000"."""
    if amount is None or amount == "":
        return ""
    value = Decimal(str(amount))
    return f"{value:,}" if value == value.to_integral_value() else f"{value:,.2f}"
