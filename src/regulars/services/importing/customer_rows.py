"""Customers file rows -> validated, normalised customers; pure Python, no database.

A column the file has sets that field (an empty cell clears it); a column it lacks leaves the
field alone on update. Phones become E.164 with the business's region, e-mails are validated,
names are split by the customer's language when only a full name is given.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import Any

from regulars.domain.contact_points import normalize_email, normalize_phone
from regulars.domain.customers import CustomerKind, Potential
from regulars.domain.errors import DomainError
from regulars.domain.names import (
    PersonName,
    clean,
    name_key,
    normalize_language,
    split_full_name,
)
from regulars.services.importing.columns import CONSENT_COLUMNS, ColumnMap
from regulars.services.importing.reading import cell_text
from regulars.services.importing.values import (
    CellError,
    Dates,
    RowError,
    boolean,
    split_list,
    text,
)

CHUNK_ROWS = 2_000
NAME_PARTS = ("given_name", "family_name", "middle_name", "patronymic")
ADDRESS_COLUMNS = ("address", "address_line2", "city", "state", "postal_code", "country")
_ADDRESS_LIMITS = (300, 300, 120, 120, 20, 2)
_DATE_COLUMNS = ("birthday", "founded_on", "first_deal_on")
_KINDS = ", ".join(k.value for k in CustomerKind)
_POTENTIALS = ", ".join(p.value for p in Potential)


@dataclass(slots=True)
class ParsedCustomer:
    line: int
    values: list[Any]
    external_id: str = ""
    errors: list[RowError] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)  # customers columns to set
    phones: list[str] | None = None  # None: the file has no such column
    emails: list[str] | None = None
    address: tuple[str | None, ...] | None = None  # all None: clear
    tags: list[str] | None = None
    interests: list[str] | None = None
    consents: dict[tuple[str, str], bool] = field(default_factory=dict)
    manager: tuple[str, str] | None = None  # ("email" | "name", value)
    department: str | None = None
    hash: str = ""


@dataclass(slots=True)
class CustomerChunk:
    customers: list[ParsedCustomer]
    last_line: int


class CustomerRows:
    """Validates customers rows a chunk at a time; `region` and `language` are the business's."""

    def __init__(self, cmap: ColumnMap, dates: Dates, region: str, language: str) -> None:
        self.cmap = cmap
        self.dates = dates
        self.region = region
        self.language = language
        self.has_parts = any(cmap.has(c) for c in NAME_PARTS)
        self.has_address = any(cmap.has(c) for c in ADDRESS_COLUMNS)
        self.consent_columns = [
            (c, CONSENT_COLUMNS[c], cmap.at(c)) for c in CONSENT_COLUMNS if cmap.has(c)
        ]

    def chunks(self, rows: Iterator[tuple[int, list[Any]]]) -> Iterator[CustomerChunk]:
        chunk: list[ParsedCustomer] = []
        for line, values in rows:
            chunk.append(self.parse(line, values))
            if len(chunk) >= CHUNK_ROWS:
                yield CustomerChunk(chunk, line)
                chunk = []
        if chunk:
            yield CustomerChunk(chunk, chunk[-1].line)

    def _get(self, values: list[Any], column: str) -> Any:
        i = self.cmap.at(column)
        return values[i] if i >= 0 else ""

    def parse(self, line: int, values: list[Any]) -> ParsedCustomer:
        c = ParsedCustomer(line, values)
        c.fields["kind"] = CustomerKind.PERSON.value
        width = self.cmap.width
        if len(values) != width:
            c.errors.append(
                RowError(line, None, f"has {len(values)} columns, the header has {width}")
            )
            return c
        cells = {
            name: (v if name in _DATE_COLUMNS else cell_text(v)) if not isinstance(v, str) else v
            for name, i in self.cmap.index.items()
            for v in (values[i],)
        }
        for step in (self._identity, self._names, self._contact_points, self._rest):
            try:
                step(c, cells)
            except CellError as e:
                c.errors.append(RowError(line, e.column, e.reason))
            except DomainError as e:
                c.errors.append(RowError(line, e.field, e.message))
        if not c.errors:
            c.hash = _hash(c)
        return c

    def _identity(self, c: ParsedCustomer, cells: dict[str, Any]) -> None:
        ext = text(cells["external_id"], "external_id", 100, required=True)
        assert ext is not None
        c.external_id = ext
        kind = (cells.get("kind") or "").strip().lower() or CustomerKind.PERSON.value
        if kind not in (CustomerKind.PERSON.value, CustomerKind.COMPANY.value):
            raise CellError("kind", f"{cells['kind']!r} is not one of: {_KINDS}")
        c.fields["kind"] = kind
        if "language" in cells:
            try:
                c.fields["language"] = normalize_language(cells["language"])
            except DomainError as e:
                raise CellError("language", e.message) from None

    def _names(self, c: ParsedCustomer, cells: dict[str, Any]) -> None:
        f = c.fields
        full = text(cells.get("name"), "name", 300)
        legal = text(cells.get("legal_name"), "legal_name", 300)
        if "legal_name" in cells:
            f["legal_name"] = legal
        if f["kind"] == CustomerKind.COMPANY.value:
            display = clean(full or legal)
            if not display:
                raise CellError("name", "a company needs a name (name or legal_name)")
            parts = PersonName()
        else:
            language = f.get("language") or self.language
            given = {p: clean(text(cells.get(p), p, 150)) for p in NAME_PARTS}
            if any(given.values()):
                parts = PersonName(
                    family=given["family_name"],
                    given=given["given_name"],
                    middle=given["middle_name"],
                    patronymic=given["patronymic"],
                )
                display = clean(full) or parts.display(language)
            elif full:
                parts = split_full_name(full, language)
                display = clean(full) or ""
            else:
                raise CellError("name", "a name is required (name, or given_name / family_name)")
            for part in (parts.family, parts.given, parts.middle, parts.patronymic):
                if part and len(part) > 150:
                    raise CellError("name", "a part of the name is longer than 150 characters")
        f["display_name"] = display
        f["name_key"] = name_key(display, company=f["kind"] == CustomerKind.COMPANY.value)
        f["family_name"] = parts.family
        f["given_name"] = parts.given
        f["middle_name"] = parts.middle
        f["patronymic"] = parts.patronymic

    def _contact_points(self, c: ParsedCustomer, cells: dict[str, Any]) -> None:
        if "phone" in cells:
            phones: list[str] = []
            for raw in split_list(cells["phone"]):
                e164 = normalize_phone(raw, self.region)
                if e164 not in phones:
                    phones.append(e164)
            c.phones = phones
        if "email" in cells:
            emails: list[str] = []
            for raw in split_list(cells["email"]):
                address = normalize_email(raw)
                if address not in emails:
                    emails.append(address)
            c.emails = emails

    def _rest(self, c: ParsedCustomer, cells: dict[str, Any]) -> None:
        f = c.fields
        dates = self.dates
        for column in _DATE_COLUMNS:
            if column in cells:
                f[column] = dates.day(cells[column], column)
        if "first_deal_on" in cells:
            f["first_deal_overridden"] = f["first_deal_on"] is not None
        if "potential" in cells:
            potential = cells["potential"].strip().lower() or None
            if potential is not None and potential not in set(Potential):
                raise CellError("potential", f"{cells['potential']!r} is not one of: {_POTENTIALS}")
            f["potential"] = potential
        for column, limit in (("region", 100), ("income_band", 50)):
            if column in cells:
                f[column] = text(cells[column], column, limit)
        if self.has_address:
            parts = [
                text(cells.get(col), col, limit)
                for col, limit in zip(ADDRESS_COLUMNS, _ADDRESS_LIMITS, strict=True)
            ]
            country = parts[-1]
            if country is not None:
                if len(country) != 2 or not country.isalpha():
                    raise CellError("country", f"{country!r} is not a two-letter country code")
                parts[-1] = country.upper()
            c.address = tuple(parts)
        for column in ("tags", "interests"):
            if column in cells:
                values: list[str] = []
                for v in split_list(cells[column]):
                    if len(v) > 100:
                        raise CellError(column, f"{v[:20]!r}… is longer than 100 characters")
                    if v not in values:
                        values.append(v)
                setattr(c, column, values)
        for column, key, i in self.consent_columns:
            granted = boolean(c.values[i], column)
            if granted is not None:
                c.consents[key] = granted
        if "manager" in cells:
            c.manager = _manager(cells["manager"])
            f["manager_id"] = None  # resolved by the writer
        if "department" in cells:
            c.department = text(cells["department"], "department", 200)
            f["department_id"] = None  # resolved by the writer


def _manager(value: str) -> tuple[str, str] | None:
    """A staff user by e-mail (`ana@shop.vn`) or by name (`Ana Lima`)."""
    raw = value.strip()
    if not raw:
        return None
    if "@" in raw:
        try:
            return ("email", normalize_email(raw))
        except DomainError as e:
            raise CellError("manager", e.message) from None
    name = clean(raw)
    assert name is not None
    if len(name) > 200:
        raise CellError("manager", "is longer than 200 characters")
    return ("name", name)


def _hash(c: ParsedCustomer) -> str:
    """What the row says, normalised: equal hashes mean a re-import has nothing to change."""
    parts = [
        repr(sorted((k, str(v)) for k, v in c.fields.items())),
        repr(c.phones),
        repr(c.emails),
        repr(c.address),
        repr(c.tags),
        repr(c.interests),
        repr(sorted(c.consents.items())),
        repr(c.manager),
        repr(c.department),
    ]
    return blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
