"""`regulars import customers`: validated customers into the store, a chunk at a time.

A customer goes in with its phones, e-mails, address, tags and consents, or not at all.
Managers are staff users named by e-mail or by name and created when unknown; departments are
created by name. A content hash per customer makes re-imports idempotent, and
`import_batch_id` catches an external id repeated later in the same file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update

from regulars.domain.names import fold
from regulars.services.context import BusinessContext
from regulars.services.importing.columns import CUSTOMERS, ColumnMap
from regulars.services.importing.customer_rows import (
    CustomerChunk,
    CustomerRows,
    ParsedCustomer,
)
from regulars.services.importing.first_deal import refresh_first_deals
from regulars.services.importing.reading import Source
from regulars.services.importing.runner import (
    ImportResult,
    Job,
    Progress,
    Rejects,
    WriterBase,
    run_import,
)
from regulars.services.importing.sql import Native, keys, lookup, one_of, table_of, update_rows
from regulars.services.importing.values import Dates, RowError
from regulars.store.bulk import allocate_ids, insert_rows
from regulars.store.tables import (
    Address,
    Consent,
    Customer,
    CustomerTag,
    Department,
    Email,
    Phone,
    StaffUser,
)

_customers = table_of(Customer)
CUSTOMER_COLUMNS = (
    *("id", "tenant_id", "external_id", "kind", "display_name", "family_name", "given_name"),
    *("middle_name", "patronymic", "legal_name", "name_key", "language", "birthday"),
    *("founded_on", "first_deal_on", "first_deal_overridden", "manager_id", "department_id"),
    *("potential", "region", "income_band", "status", "import_hash", "import_batch_id"),
    *("created_at", "updated_at"),
)
_DAYS = ("birthday", "founded_on", "first_deal_on")


def import_customers(
    engine: Engine,
    *,
    ctx: BusinessContext,
    path: Path,
    dry_run: bool = False,
    date_format: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a customers file (one row per customer); see docs/import.md for the columns."""

    def chunks(
        source: Source, cmap: ColumnMap, dates: Dates, native: Native
    ) -> Iterator[CustomerChunk]:
        rows = CustomerRows(cmap, dates, ctx.default_region, ctx.default_language)
        return rows.chunks(source.rows)

    def writer(
        conn: Connection, batch_id: int, rejects: Rejects, result: ImportResult, dates: Dates
    ) -> CustomerWriter:
        return CustomerWriter(conn, ctx, batch_id, rejects, result)

    job = Job(
        CUSTOMERS,
        chunks,
        lambda c: c.last_line,
        writer,
        ("customers", "phones", "emails", "addresses", "customer_tags", "consents"),
    )
    return run_import(
        engine,
        job,
        path=path,
        timezone=ctx.timezone,
        tenant_id=ctx.tenant_id,
        dry_run=dry_run,
        date_format=date_format,
        progress=progress,
    )


class CustomerWriter(WriterBase):
    """Stores one chunk of parsed customers: new ones inserted, changed ones updated."""

    def __init__(
        self,
        conn: Connection,
        ctx: BusinessContext,
        batch_id: int,
        rejects: Rejects,
        result: ImportResult,
    ) -> None:
        super().__init__(conn, ctx, batch_id, rejects, result)
        staff = table_of(StaffUser).c
        self.staff_by_email: dict[str, int] = {}
        self.staff_by_name: dict[str, int] = {}
        for sid, email, name in conn.execute(
            select(staff.id, staff.email, staff.display_name).where(staff.tenant_id == self.tenant)
        ):
            self.staff_by_email[email.lower()] = sid
            self.staff_by_name.setdefault(fold(name), sid)
        deps = table_of(Department).c
        self.departments: dict[str, int] = {
            name: did
            for did, name in conn.execute(
                select(deps.id, deps.name).where(deps.tenant_id == self.tenant)
            )
        }

    def write(self, chunk: CustomerChunk) -> None:
        seen: dict[str, int] = {}
        valid: list[ParsedCustomer] = []
        for c in chunk.customers:
            if c.errors:
                self._reject(c, *c.errors)
            elif c.external_id in seen:
                self._repeat(c, seen[c.external_id])
            else:
                seen[c.external_id] = c.line
                valid.append(c)
        columns = ("external_id", "id", "import_hash", "import_batch_id", "status")
        existing = {
            ext: rest
            for ext, *rest in lookup(
                self.conn,
                _customers,
                columns,
                tenant_id=self.tenant,
                key="external_id",
                values=[c.external_id for c in valid],
            )
        }
        new: list[ParsedCustomer] = []
        changed: list[tuple[ParsedCustomer, int]] = []
        same: list[int] = []
        for c in valid:
            old = existing.get(c.external_id)
            if old is None:
                new.append(c)
                continue
            cid, old_hash, old_batch, status = old
            if old_batch == self.batch:
                self._repeat(c, None)
            elif status in ("merged", "erased"):
                why = "was merged into another customer" if status == "merged" else "was erased"
                self._reject(
                    c, RowError(c.line, "external_id", f"customer {c.external_id!r} {why}")
                )
            elif old_hash == c.hash:
                same.append(cid)
            else:
                changed.append((c, cid))
        self._resolve_people([*new, *(c for c, _ in changed)])
        self._insert(new)
        self._update(changed)
        if same:
            self.conn.execute(
                update(_customers)
                .where(one_of(self.conn, _customers.c.id, "ids"))
                .values(import_batch_id=self.batch),
                {"ids": keys(self.conn, same)},
            )
        self.result.imported += len(new)
        self.result.updated += len(changed)
        self.result.unchanged += len(same)

    def _reject(self, c: ParsedCustomer, *errors: RowError) -> None:
        self.rejects.reject(c.line, c.values, list(errors))

    def _repeat(self, c: ParsedCustomer, first: int | None) -> None:
        where = f" (line {first})" if first else ""
        reason = f"customer {c.external_id!r} appears earlier in this file{where}"
        self._reject(c, RowError(c.line, "external_id", reason))

    # -- managers and departments ------------------------------------------------------------

    def _resolve_people(self, customers: list[ParsedCustomer]) -> None:
        for c in customers:
            if "manager_id" in c.fields and c.manager is not None:
                c.fields["manager_id"] = self._staff_id(*c.manager)
            if "department_id" in c.fields and c.department is not None:
                c.fields["department_id"] = self._department_id(c.department)

    def _staff_id(self, by: str, value: str) -> int:
        """The staff user with this e-mail or name, created (as a manager) when unknown."""
        if by == "email":
            found = self.staff_by_email.get(value)
            email, name = value, value.split("@")[0]
        else:
            found = self.staff_by_name.get(fold(value))
            email = f"{'.'.join(fold(value).split()) or 'staff'}@staff.invalid"
            found = found or self.staff_by_email.get(email)
            name = value
        if found is not None:
            return found
        (sid,) = allocate_ids(self.conn, table_of(StaffUser), 1)
        row = (sid, self.tenant, email, name, "manager", None, self.native.flag(True))
        cols = ("id", "tenant_id", "email", "display_name", "role", "department_id", "active")
        insert_rows(
            self.conn,
            table_of(StaffUser),
            (*cols, "created_at"),
            [(*row, self.native.moment(self.now))],
        )
        self.staff_by_email[email] = sid
        self.staff_by_name.setdefault(fold(name), sid)
        return sid

    def _department_id(self, name: str) -> int:
        found = self.departments.get(name)
        if found is None:
            (found,) = allocate_ids(self.conn, table_of(Department), 1)
            insert_rows(
                self.conn,
                table_of(Department),
                ("id", "tenant_id", "name"),
                [(found, self.tenant, name)],
            )
            self.departments[name] = found
        return found

    # -- writes -----------------------------------------------------------------------------

    def _native(self, column: str, value: Any) -> Any:
        if column in _DAYS:
            return self.native.day(value)
        if column == "first_deal_overridden":
            return self.native.flag(bool(value))
        return value

    def _insert(self, new: list[ParsedCustomer]) -> None:
        if not new:
            return
        ids = allocate_ids(self.conn, _customers, len(new))
        now = self.native.moment(self.now)
        fixed = {
            "tenant_id": self.tenant,
            "status": "active",
            "import_batch_id": self.batch,
            "created_at": now,
            "updated_at": now,
            "first_deal_overridden": self.native.flag(False),
        }
        rows = []
        for cid, c in zip(ids, new, strict=True):
            values = {**fixed, "id": cid, "external_id": c.external_id, "import_hash": c.hash}
            values.update((k, self._native(k, v)) for k, v in c.fields.items())
            rows.append(tuple(values.get(col) for col in CUSTOMER_COLUMNS))
        insert_rows(self.conn, _customers, CUSTOMER_COLUMNS, rows, batched=True)
        self._add_details(list(zip(ids, new, strict=True)), fresh=True)

    def _update(self, changed: list[tuple[ParsedCustomer, int]]) -> None:
        """The file's values replace the stored ones, for the columns the file has."""
        if not changed:
            return
        fields = list(changed[0][0].fields)  # the same for every row: the file's columns
        now = self.native.moment(self.now)
        rows = [
            (cid, *(self._native(k, c.fields[k]) for k in fields), c.hash, self.batch, now)
            for c, cid in changed
        ]
        names = [*fields, "import_hash", "import_batch_id", "updated_at"]
        update_rows(self.conn, _customers, names, rows)
        pairs = [(cid, c) for c, cid in changed]
        self._clear_details(pairs)
        self._add_details(pairs, fresh=False)
        rederive = [cid for c, cid in changed if c.fields.get("first_deal_overridden") is False]
        refresh_first_deals(
            self.conn, tenant_id=self.tenant, customer_ids=rederive, timezone=self.ctx.timezone
        )

    def _clear_details(self, pairs: list[tuple[int, ParsedCustomer]]) -> None:
        """Drop the phones, e-mails, address, tags the file gives anew (consents are history)."""
        sample = pairs[0][1]
        ids = keys(self.conn, [cid for cid, _ in pairs])
        conn = self.conn
        for present, table in (
            (sample.phones is not None, table_of(Phone)),
            (sample.emails is not None, table_of(Email)),
        ):
            if present:
                conn.execute(
                    delete(table).where(
                        one_of(conn, table.c.customer_id, "ids"), table.c.contact_id.is_(None)
                    ),
                    {"ids": ids},
                )
        if sample.address is not None:
            t = table_of(Address)
            conn.execute(delete(t).where(one_of(conn, t.c.customer_id, "ids")), {"ids": ids})
        tags = table_of(CustomerTag)
        for kind, present in (
            ("tag", sample.tags is not None),
            ("interest", sample.interests is not None),
        ):
            if present:
                conn.execute(
                    delete(tags).where(
                        one_of(conn, tags.c.customer_id, "ids"), tags.c.kind == kind
                    ),
                    {"ids": ids},
                )

    def _add_details(self, pairs: list[tuple[int, ParsedCustomer]], *, fresh: bool) -> None:
        t = self.tenant
        flag = self.native.flag
        phones = [
            (cid, e164, flag(i == 0)) for cid, c in pairs for i, e164 in enumerate(c.phones or [])
        ]
        emails = [
            (cid, addr, flag(i == 0)) for cid, c in pairs for i, addr in enumerate(c.emails or [])
        ]
        addresses = [
            (cid, c.address[0] or "", *c.address[1:])
            for cid, c in pairs
            if c.address is not None and any(c.address)
        ]
        tags = [(cid, "tag", v, t) for cid, c in pairs for v in c.tags or []]
        tags += [(cid, "interest", v, t) for cid, c in pairs for v in c.interests or []]
        self._add_rows(table_of(Phone), ("customer_id", "e164", "is_primary"), phones)
        self._add_rows(table_of(Email), ("customer_id", "address", "is_primary"), emails)
        address_columns = ("customer_id", "line1", "line2", "city", "region", "postal_code")
        self._add_rows(table_of(Address), (*address_columns, "country"), addresses)
        if tags:
            cols = ("customer_id", "kind", "value", "tenant_id")
            insert_rows(self.conn, table_of(CustomerTag), cols, tags, batched=True)
        self._consents(pairs, fresh=fresh)

    def _add_rows(self, table: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """Detail rows of this tenant; nothing refers to them, so the database numbers them."""
        if rows:
            out = [(self.tenant, *r) for r in rows]
            insert_rows(self.conn, table, ("tenant_id", *columns), out, batched=True)

    def _consents(self, pairs: list[tuple[int, ParsedCustomer]], *, fresh: bool) -> None:
        """Consent is history: a row is added only when the file says something new."""
        wanted = [(cid, key, granted) for cid, c in pairs for key, granted in c.consents.items()]
        if not wanted:
            return
        current: dict[tuple[int, str, str], tuple[Any, int, bool]] = {}
        if not fresh:
            columns = ("customer_id", "channel", "purpose", "granted", "recorded_at", "id")
            for cid, channel, purpose, granted, at, row_id, contact in lookup(
                self.conn,
                table_of(Consent),
                (*columns, "contact_id"),
                tenant_id=self.tenant,
                key="customer_id",
                values=[cid for cid, _ in pairs],
            ):
                k = (cid, channel, purpose)
                if contact is not None:
                    continue
                if k not in current or (at, row_id) > current[k][:2]:
                    current[k] = (at, row_id, bool(granted))
        now = self.native.moment(self.now)
        rows = [
            (cid, channel, purpose, self.native.flag(granted), "import", now)
            for cid, (channel, purpose), granted in wanted
            if (hit := current.get((cid, channel, purpose))) is None or hit[2] != granted
        ]
        cols = ("customer_id", "channel", "purpose", "granted", "source", "recorded_at")
        self._add_rows(table_of(Consent), cols, rows)
