"""`regulars import customers|orders FILE`: thin wrapper over services.importing.

Exit codes are a promise to users' scripts: 0 every row went in, 3 some rows were rejected
(they are in FILE.rejected.csv), 2 the file cannot be used at all (nothing was written).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from regulars.cli.common import DbOption, JsonOption, console, err_console, open_app, print_json
from regulars.services.importing import (
    ImportResult,
    UnusableFile,
    check_file,
    import_customers,
    import_orders,
)

EXIT_OK = 0
EXIT_UNUSABLE = 2
EXIT_REJECTED = 3
PROGRESS_FROM_BYTES = 2_000_000  # smaller files finish before a bar would be worth drawing
SHOWN_ERRORS = 20

app = typer.Typer(
    no_args_is_help=True,
    help="Import customers or orders from CSV (UTF-8; , ; or tab) or .xlsx. See docs/import.md.",
)

FileArgument = Annotated[
    Path,
    typer.Argument(
        help="A .csv or .xlsx file.", show_default=False, dir_okay=False, metavar="FILE"
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Validate and report only; write nothing to the database.")
]
DateFormatOption = Annotated[
    str | None,
    typer.Option(
        "--date-format",
        help="How the file writes dates, as a strptime format (e.g. %d/%m/%Y). Default: ISO 8601.",
        show_default=False,
    ),
]


@app.command("customers")
def customers(
    file: FileArgument,
    db: DbOption = None,
    dry_run: DryRunOption = False,
    date_format: DateFormatOption = None,
    json_out: JsonOption = False,
) -> None:
    """Import customers: one row per customer (external_id, kind, name, email, phone, …)."""
    _run("customers", import_customers, file, db, dry_run, date_format, json_out)


@app.command("orders")
def orders(
    file: FileArgument,
    db: DbOption = None,
    dry_run: DryRunOption = False,
    date_format: DateFormatOption = None,
    json_out: JsonOption = False,
) -> None:
    """Import orders: one row per order line (external_id, customer_external_id, placed_at, …)."""
    _run("orders", import_orders, file, db, dry_run, date_format, json_out)


def _run(
    kind: str,
    service: Callable[..., ImportResult],
    file: Path,
    db: str | None,
    dry_run: bool,
    date_format: str | None,
    json_out: bool,
) -> None:
    if date_format is not None and "%" not in date_format:
        raise typer.BadParameter(
            f"{date_format!r} is not a strptime format; write e.g. %d/%m/%Y or %m/%d/%Y %H:%M",
            param_hint="--date-format",
        )
    try:
        check_file(kind, file)  # before the database is even opened: nothing is written
        with open_app(db) as application:
            ctx = application.business()
            with _progress(file, enabled=not json_out) as progress:
                result = service(
                    application.engine,
                    ctx=ctx,
                    path=file,
                    dry_run=dry_run,
                    date_format=date_format,
                    progress=progress,
                )
    except UnusableFile as e:
        err_console.print(f"error: {e.message}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_UNUSABLE) from None
    if json_out:
        print_json(result.as_json())
    else:
        _summary(file, result)
    raise typer.Exit(EXIT_REJECTED if result.rejected else EXIT_OK)


def _summary(file: Path, r: ImportResult) -> None:
    say = console.print
    say(
        f"{file.name}: {r.rows} rows: {r.imported} imported, {r.updated} updated, "
        f"{r.unchanged} unchanged, {r.rejected} rejected",
        markup=False,
        highlight=False,
    )
    for e in r.errors[:SHOWN_ERRORS]:
        where = f"line {e.line}" + (f", {e.column}" if e.column else "")
        say(f"  {where}: {e.reason}", markup=False, highlight=False, soft_wrap=True)
    if r.rejected > min(len(r.errors), SHOWN_ERRORS):
        say("  … and more: see the rejects file", markup=False, highlight=False)
    if r.rejects_path is not None:
        say(f"rejected rows (with a reason column): {r.rejects_path}", markup=False)
    if r.ignored_columns:
        say(f"ignored columns: {', '.join(r.ignored_columns)}", markup=False, highlight=False)
    if r.dry_run:
        say("dry run: nothing was written to the database", markup=False)


@contextmanager
def _progress(file: Path, *, enabled: bool) -> Iterator[Callable[[int, int | None], Any] | None]:
    """A bar on stderr for large files, when stderr is a terminal (never in --json mode)."""
    large = file.is_file() and file.stat().st_size >= PROGRESS_FROM_BYTES
    if not (enabled and large and err_console.is_terminal):
        yield None
        return
    bar = Progress(
        TextColumn(f"importing {file.name}"),
        BarColumn(),
        TextColumn("{task.completed:,} / {task.total:,} lines"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    task = bar.add_task("import", total=None)

    def update(done: int, total: int | None) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update
