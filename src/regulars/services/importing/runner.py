"""What both imports share: the result, the rejects file, the batch row, chunked transactions.

Reading and validating (pure Python) runs in a helper thread one chunk ahead of the database
work, so parsing overlaps with the time the database spends writing; the queue between them
is two chunks deep, which keeps memory flat.
"""

from __future__ import annotations

import csv
import gc
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Generic, Protocol, TypeVar

from sqlalchemy import Connection, Engine, insert, update

from regulars.services.context import BusinessContext
from regulars.services.importing.columns import CUSTOMERS, ORDERS, ColumnMap, Spec, map_header
from regulars.services.importing.reading import Source, cell_text, open_source
from regulars.services.importing.sql import Native, table_of
from regulars.services.importing.values import Dates, RowError
from regulars.store.tables import ImportBatch

# A transaction spans a few chunks: fewer commits rewrite fewer index pages. Every record is
# still written whole or not at all; an interrupted import is completed by running it again.
COMMIT_LINES = 50_000
MAX_ERRORS = 1000  # kept in the result (and printed); the rejects file has every rejected row
Progress = Callable[[int, int | None], None]  # (lines done, lines in total if known)
T = TypeVar("T")
C = TypeVar("C")
C_contra = TypeVar("C_contra", contravariant=True)


@dataclass
class ImportResult:
    """Counts are rows of the file: imported + updated + unchanged + rejected = data rows."""

    kind: str
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejects_path: Path | None = None
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def rows(self) -> int:
        return self.imported + self.updated + self.unchanged + self.rejected

    def as_json(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [e.as_dict() for e in self.errors],
        }


def rejects_path_for(path: Path) -> Path:
    return path.with_name(path.name + ".rejected.csv")


class Rejects:
    """Rejected rows go to FILE.rejected.csv: the original columns plus `reason`, in file order.

    The file is created on the first reject; a stale one from an earlier run is removed, so
    its presence always describes the last import.
    """

    def __init__(self, source: Source, result: ImportResult) -> None:
        self.source = source
        self.result = result
        self.path = rejects_path_for(source.path)
        self.path.unlink(missing_ok=True)
        self._file: IO[str] | None = None
        self._writer: Any = None
        self._pending: list[tuple[int, list[Any], list[RowError]]] = []

    def reject(self, line: int, values: list[Any], errors: list[RowError]) -> None:
        self._pending.append((line, values, errors))

    def flush(self) -> None:
        """Write this chunk's rejects in line order and record them in the result."""
        if not self._pending:
            return
        self._pending.sort(key=lambda p: p[0])
        if self._writer is None:
            self._open()
        width = len(self.source.header)
        result = self.result
        for _line, values, errors in self._pending:
            result.rejected += 1
            room = MAX_ERRORS - len(result.errors)
            if room > 0:
                result.errors.extend(errors[:room])
            reason = "; ".join(f"{e.column}: {e.reason}" if e.column else e.reason for e in errors)
            cells = [cell_text(v) for v in values]
            cells.extend("" for _ in range(width - len(cells)))
            self._writer.writerow([*cells, reason])
        self._pending.clear()

    def _open(self) -> None:
        encoding = "utf-8-sig" if self.source.bom else "utf-8"
        self._file = self.path.open("w", encoding=encoding, newline="")
        self._writer = csv.writer(self._file, delimiter=self.source.delimiter)
        self._writer.writerow([*self.source.header, "reason"])
        self.result.rejects_path = self.path

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def start_batch(conn: Connection, tenant_id: int, kind: str, path: Path) -> int:
    """The row that marks records touched by this run (duplicates within a file are found by it)."""
    res = conn.execute(
        insert(table_of(ImportBatch)).values(
            tenant_id=tenant_id,
            kind=kind,
            filename=str(path)[-500:],
            started_at=datetime.now(UTC),
        )
    )
    key = res.inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_batch(conn: Connection, batch_id: int, result: ImportResult) -> None:
    t = table_of(ImportBatch)
    counts = result.as_json()
    counts.pop("errors")
    conn.execute(
        update(t).where(t.c.id == batch_id).values(finished_at=datetime.now(UTC), counts=counts)
    )


def chunk_transaction(conn: Connection, dry_run: bool) -> AbstractContextManager[Any]:
    """A transaction of its own, or, in a dry run, part of the one that is rolled back."""
    return nullcontext() if dry_run else conn.begin()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


class Prefetch(Generic[T]):
    """Iterate `items` in a helper thread, `depth` items ahead of the consumer."""

    def __init__(self, items: Iterator[T], depth: int = 2) -> None:
        self._items = items
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="import-reader", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put(item):
                    return
            self._put(_DONE)
        except BaseException as e:  # handed to the consumer, raised there
            self._put(_Failure(e))

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item

    def close(self) -> None:
        """Stop the reader and wait for it, so the file can be closed safely."""
        self._stop.set()
        while self._thread.is_alive():
            with suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()


class ChunkWriter(Protocol[C_contra]):
    def write(self, chunk: C_contra) -> None: ...


class WriterBase:
    """What every chunk writer holds: the connection, the business, this run's batch, and where
    rejects and counts go."""

    def __init__(
        self,
        conn: Connection,
        ctx: BusinessContext,
        batch_id: int,
        rejects: Rejects,
        result: ImportResult,
    ) -> None:
        self.conn = conn
        self.ctx = ctx
        self.tenant = ctx.tenant_id
        self.batch = batch_id
        self.rejects = rejects
        self.result = result
        self.native = Native(conn.dialect.name)
        self.now = datetime.now(UTC)


@dataclass(frozen=True)
class Job(Generic[C]):
    """One kind of import: how to cut a file into validated chunks, and how to store a chunk."""

    spec: Spec
    chunks: Callable[[Source, ColumnMap, Dates, Native], Iterator[C]]
    last_line: Callable[[C], int]
    writer: Callable[[Connection, int, Rejects, ImportResult, Dates], ChunkWriter[C]]
    tables: tuple[str, ...]  # the tables it fills, whose planner statistics must keep up
    # The writer checks every reference it stores itself (within the chunk's transaction), so
    # SQLite's per-row foreign-key look-ups can be off for the import's connection.
    checks_references: bool = False


class _Statistics:
    """PostgreSQL plans a chunk's look-ups from table statistics; a table that grows from
    empty to millions of rows within one import would be planned as if still empty (a scan
    per look-up, quadratic overall). So ANALYZE it as it grows: after 10,000 lines, then
    each time the count doubles."""

    def __init__(self, conn: Connection, tables: tuple[str, ...]) -> None:
        self.conn = conn
        self.tables = tables if conn.dialect.name == "postgresql" else ()
        self.next = 10_000

    def refresh(self, lines: int) -> None:
        if not self.tables or lines < self.next:
            return
        self.next = lines * 2
        for table in self.tables:
            self.conn.exec_driver_sql(f'ANALYZE "{table}"')


def run_import(
    engine: Engine,
    job: Job[C],
    *,
    path: Path,
    timezone: str,
    tenant_id: int,
    dry_run: bool,
    date_format: str | None,
    progress: Progress | None,
) -> ImportResult:
    """Open, check, then stream the file through the job.

    Every reason to refuse the whole file (UnusableFile) comes before anything is written.
    """
    with ExitStack() as stack:
        source = open_source(path, job.spec.known)
        stack.callback(source.close)
        cmap = map_header(job.spec, source.header, path)
        result = ImportResult(job.spec.kind, dry_run=dry_run, ignored_columns=cmap.ignored)
        dates = Dates(date_format, timezone)
        rejects = Rejects(source, result)
        stack.callback(rejects.close)
        stack.enter_context(_bulk_python())
        chunks = Prefetch(job.chunks(source, cmap, dates, Native(engine.dialect.name)))
        stack.callback(chunks.close)
        conn = stack.enter_context(engine.connect())
        stack.enter_context(_bulk_session(conn, foreign_keys=not job.checks_references))
        outer = conn.begin() if dry_run else None
        with chunk_transaction(conn, dry_run):
            batch_id = start_batch(conn, tenant_id, job.spec.kind, path)
            writer = job.writer(conn, batch_id, rejects, result, dates)
        tx: Any = None
        tx_from = 0
        statistics = _Statistics(conn, job.tables)
        for chunk in chunks:
            if tx is None and not dry_run:
                tx = conn.begin()
            writer.write(chunk)
            rejects.flush()
            done = job.last_line(chunk)
            if tx is not None and done - tx_from >= COMMIT_LINES:
                tx.commit()
                tx, tx_from = None, done
            statistics.refresh(done)
            if progress:
                progress(done, source.total_lines)
        if tx is not None:
            tx.commit()
        with chunk_transaction(conn, dry_run):
            finish_batch(conn, batch_id, result)
        if outer is not None:
            outer.rollback()
    return result


@contextmanager
def _bulk_session(conn: Connection, *, foreign_keys: bool = True) -> Iterator[None]:
    """SQLite: a 64 MB page cache (the default 2 MB thrashes on random index inserts) and a
    write-ahead log that is folded back into the database every ~64 MB, not every commit.

    `foreign_keys=False` drops the per-row foreign-key look-ups (a third of the writer's time
    on orders) for a writer that checks its references itself. None of these settings weakens
    durability: a crash still leaves the last committed chunk and a consistent database.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    pragmas = {"cache_size": -65536, "wal_autocheckpoint": 16384}
    before = {k: int(conn.exec_driver_sql(f"PRAGMA {k}").scalar() or v) for k, v in pragmas.items()}
    for k, v in pragmas.items():
        conn.exec_driver_sql(f"PRAGMA {k} = {v}")
    conn.commit()
    raw: Any = conn.connection.driver_connection
    checked = bool(raw.execute("PRAGMA foreign_keys").fetchone()[0])
    if not foreign_keys:  # honoured outside a transaction only, as here
        raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        conn.rollback()
        raw.execute(f"PRAGMA foreign_keys = {'ON' if checked else 'OFF'}")
        for k, v in before.items():
            conn.exec_driver_sql(f"PRAGMA {k} = {int(v)}")
        conn.commit()


@contextmanager
def _bulk_python() -> Iterator[None]:
    """Bulk parsing makes millions of short-lived, acyclic objects: the cyclic garbage collector
    would rescan the whole heap over and over for nothing (it costs ~40 % of the time)."""
    before = gc.get_threshold()
    interval = sys.getswitchinterval()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    # The writer gives up the GIL for every statement the database runs; taking it back from
    # the busy reader thread must not cost the default 5 ms each time.
    sys.setswitchinterval(0.0005)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*before)
        gc.unfreeze()


SPECS = {"customers": CUSTOMERS, "orders": ORDERS}


def check_file(kind: str, path: Path) -> list[str]:
    """Raise UnusableFile if the file cannot be imported at all; return its ignored columns.

    Cheap enough to run before opening the database, so a refused file leaves no trace.
    """
    spec = SPECS[kind]
    source = open_source(path, spec.known)
    try:
        return map_header(spec, source.header, path).ignored
    finally:
        source.close()
