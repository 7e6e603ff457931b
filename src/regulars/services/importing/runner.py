"""What both imports share: the result, the rejects file, the batch row, chunked transactions.

Reading and validating (pure Python) runs in a helper thread one chunk ahead of the database
work, so parsing overlaps with the time the database spends writing; the queue between them
is two chunks deep, which keeps memory flat.
"""

from __future__ import annotations

import csv
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from sqlalchemy import Connection, insert, update

from regulars.services.importing.reading import Source, cell_text
from regulars.services.importing.values import RowError
from regulars.store.tables import ImportBatch

MAX_ERRORS = 1000  # kept in the result (and printed); the rejects file has every rejected row
Progress = Callable[[int, int | None], None]  # (lines done, lines in total if known)
T = TypeVar("T")


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
        insert(ImportBatch.__table__).values(
            tenant_id=tenant_id,
            kind=kind,
            filename=str(path)[-500:],
            started_at=datetime.now(UTC),
        )
    )
    return int(res.inserted_primary_key[0])


def finish_batch(conn: Connection, batch_id: int, result: ImportResult) -> None:
    t = ImportBatch.__table__
    counts = result.as_json()
    counts.pop("errors")
    conn.execute(
        update(t).where(t.c.id == batch_id).values(finished_at=datetime.now(UTC), counts=counts)
    )


def chunk_transaction(conn: Connection, dry_run: bool) -> AbstractContextManager[Any]:
    """Each chunk commits on its own; a dry run keeps one transaction and rolls it back."""
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
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()


class Native:
    """Values in the form the driver stores directly (bulk writes skip SQLAlchemy's types)."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"

    def moment(self, dt: datetime | None) -> Any:
        if dt is None or not self.sqlite:
            return dt
        return dt.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def day(self, d: Any) -> Any:
        return d.isoformat() if (self.sqlite and d is not None) else d

    def flag(self, b: bool) -> Any:
        return int(b) if self.sqlite else b
