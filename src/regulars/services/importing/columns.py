"""The documented columns of both import files, and matching a file's header against them.

Headers match case-insensitively with spaces and dashes read as underscores; a few common
aliases are accepted. Unknown columns are ignored (and reported), a missing required one makes
the file unusable: guessing which column holds what would import wrong data silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from regulars.domain.customers import ConsentChannel, ConsentPurpose
from regulars.services.importing.reading import UnusableFile, normalize_header

CONSENT_COLUMNS = {
    f"consent_{ch.value}_{p.value}": (ch.value, p.value)
    for ch in ConsentChannel
    for p in ConsentPurpose
}

CUSTOMER_COLUMNS: dict[str, tuple[str, ...]] = {
    # name: aliases
    "external_id": ("customer_id", "customer_external_id"),
    "kind": (),
    "name": ("full_name",),
    "given_name": ("first_name",),
    "family_name": ("last_name", "surname"),
    "middle_name": (),
    "patronymic": (),
    "legal_name": ("company_name",),
    "email": ("emails", "e_mail"),
    "phone": ("phones", "telephone"),
    "language": (),
    "birthday": ("birth_date", "date_of_birth"),
    "founded_on": (),
    "first_deal_on": (),
    "manager": (),
    "department": (),
    "potential": (),
    "region": (),
    "income_band": (),
    "address": ("address_line1",),
    "address_line2": (),
    "city": (),
    "state": ("province", "address_region"),
    "postal_code": ("zip", "postcode"),
    "country": (),
    "tags": (),
    "interests": (),
    **{name: () for name in CONSENT_COLUMNS},
}
CUSTOMER_REQUIRED = ("external_id",)
CUSTOMER_NAME_COLUMNS = ("name", "given_name", "family_name", "legal_name")

ORDER_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("order_id",),
    "customer_external_id": ("customer_id",),
    "placed_at": ("order_date",),
    "status": (),
    "status_changed_at": (),
    "currency": (),
    "sku": (),
    "product_name": ("product",),
    "category": (),
    "quantity": ("qty",),
    "unit_price": ("price",),
    "unit_cost": ("cost",),
    "store": (),
    "channel": (),
}
ORDER_REQUIRED = (
    "external_id",
    "customer_external_id",
    "placed_at",
    "sku",
    "quantity",
    "unit_price",
)


@dataclass(frozen=True)
class Spec:
    """What one kind of import file may contain."""

    kind: str
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    one_of: tuple[str, ...] = ()  # at least one of these must be present
    _lookup: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for name, aliases in self.columns.items():
            self._lookup[name] = name
            for alias in aliases:
                self._lookup.setdefault(alias, name)

    def canonical(self, header: str) -> str | None:
        return self._lookup.get(normalize_header(header))

    def known(self, normalized: str) -> bool:
        return normalized in self._lookup


CUSTOMERS = Spec("customers", CUSTOMER_COLUMNS, CUSTOMER_REQUIRED, CUSTOMER_NAME_COLUMNS)
ORDERS = Spec("orders", ORDER_COLUMNS, ORDER_REQUIRED)


@dataclass(frozen=True)
class ColumnMap:
    """Where each known column sits in the rows of this file."""

    index: dict[str, int]
    ignored: list[str]
    width: int

    def has(self, name: str) -> bool:
        return name in self.index

    def at(self, name: str) -> int:
        """Position of the column, or -1 when the file does not have it."""
        return self.index.get(name, -1)


def map_header(spec: Spec, header: list[str], path: Path) -> ColumnMap:
    """Match the header to the spec; a missing required column or a doubled one is unusable."""
    index: dict[str, int] = {}
    ignored: list[str] = []
    exact = {normalize_header(h) for h in header}
    for i, raw in enumerate(header):
        name = spec.canonical(raw)
        if name is None or (name != normalize_header(raw) and name in exact):
            # unknown, or an alias beside the column's own name: the own name wins
            if str(raw).strip():
                ignored.append(str(raw).strip())
            continue
        if name in index:
            raise UnusableFile(
                f"{path.name}: column {name!r} appears twice "
                f"(columns {index[name] + 1} and {i + 1})"
            )
        index[name] = i
    missing = [c for c in spec.required if c not in index]
    if spec.one_of and not any(c in index for c in spec.one_of):
        missing.append(" or ".join(spec.one_of))
    if missing:
        found = ", ".join(str(h).strip() for h in header if str(h).strip())
        if len(found) > 120:
            found = found[:117] + "..."
        raise UnusableFile(
            f"{path.name} cannot be imported as {spec.kind}: missing required column(s) "
            f"{', '.join(missing)} (found: {found or 'nothing'}; "
            "columns must be separated by , ; or tab)"
        )
    return ColumnMap(index, ignored, len(header))
