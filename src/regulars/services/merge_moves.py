"""Moving a merged customer's records to the survivor, without creating duplicate rows.

Known tables get their own rule (a phone the survivor already has is dropped, not copied).
Any other table that points at a customer — loyalty cards, tasks, messages added by later
features — is re-pointed generically, so nothing is left behind on the merged customer.
"""

from __future__ import annotations

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from regulars.domain.names import fold
from regulars.services.context import BusinessContext
from regulars.store.tables import (
    Address,
    Base,
    Consent,
    Contact,
    Customer,
    CustomerMerge,
    CustomerTag,
    Email,
    Note,
    Order,
    Phone,
)

_SIMPLE = {"orders": Order, "notes": Note, "consents": Consent, "contacts": Contact}
_HANDLED = {"customers", "customer_merges", "phones", "emails", "addresses", "customer_tags"}
_HANDLED |= set(_SIMPLE)


def _repoint(s: Session, model: type[Base], t: int, survivor: int, merged: int) -> int:
    result = s.execute(
        update(model)
        .where(model.tenant_id == t, model.customer_id == merged)  # type: ignore[attr-defined]
        .values(customer_id=survivor)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _move_contact_points(
    s: Session, model: type[Phone] | type[Email], value: str, t: int, survivor: int, merged: int
) -> tuple[int, list[str]]:
    """Customer-level numbers or addresses: move the new ones, drop the ones the survivor has."""
    col = getattr(model, value)
    base = (model.tenant_id == t, model.contact_id.is_(None))
    mine = s.execute(
        select(col, model.is_primary).where(*base, model.customer_id == survivor)
    ).all()
    have = {v for v, _ in mine}
    has_primary = any(p for _, p in mine)
    theirs = s.execute(select(model.id, col).where(*base, model.customer_id == merged)).all()
    dup_ids = [i for i, v in theirs if v in have]
    dropped = sorted({v for _, v in theirs if v in have})
    if dup_ids:
        s.execute(
            delete(model).where(model.id.in_(dup_ids)).execution_options(synchronize_session=False)
        )
    moving = [i for i, v in theirs if v not in have]
    if moving:
        values: dict[str, object] = {"customer_id": survivor}
        if has_primary:
            values["is_primary"] = False
        s.execute(
            update(model)
            .where(model.id.in_(moving))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    # Contacts' own numbers travel with their contact.
    s.execute(
        update(model)
        .where(model.tenant_id == t, model.customer_id == merged, model.contact_id.is_not(None))
        .values(customer_id=survivor)
        .execution_options(synchronize_session=False)
    )
    return len(moving), dropped


def _address_key(a: Address) -> tuple[str, str, str, str]:
    return (fold(a.line1), fold(a.city or ""), (a.postal_code or "").strip(), a.country or "")


def move_records(
    s: Session, ctx: BusinessContext, survivor: int, merged: int
) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Move everything of `merged` to `survivor`; returns counts moved and values dropped."""
    t = ctx.tenant_id
    moved: dict[str, int] = {}
    dropped: dict[str, list[str]] = {}
    for name, model in _SIMPLE.items():
        moved[name] = _repoint(s, model, t, survivor, merged)
    moved["phones"], dropped["phones"] = _move_contact_points(s, Phone, "e164", t, survivor, merged)
    moved["emails"], dropped["emails"] = _move_contact_points(
        s, Email, "address", t, survivor, merged
    )

    addresses = s.scalars(
        select(Address).where(Address.tenant_id == t, Address.customer_id.in_((survivor, merged)))
    ).all()
    have = {_address_key(a) for a in addresses if a.customer_id == survivor}
    moved["addresses"], dropped["addresses"] = 0, []
    for a in addresses:
        if a.customer_id != merged:
            continue
        if _address_key(a) in have:
            dropped["addresses"].append(a.line1)
            s.delete(a)
        else:
            a.customer_id = survivor
            have.add(_address_key(a))
            moved["addresses"] += 1

    tags = s.execute(
        select(CustomerTag.customer_id, CustomerTag.kind, CustomerTag.value).where(
            CustomerTag.tenant_id == t, CustomerTag.customer_id.in_((survivor, merged))
        )
    ).all()
    mine = {(k, v) for cid, k, v in tags if cid == survivor}
    moved["tags"], dropped["tags"] = 0, []
    for cid, k, v in tags:
        if cid != merged:
            continue
        row = (CustomerTag.customer_id == merged, CustomerTag.kind == k, CustomerTag.value == v)
        if (k, v) in mine:
            s.execute(delete(CustomerTag).where(*row).execution_options(synchronize_session=False))
            dropped["tags"].append(f"{k}:{v}")
        else:
            s.execute(
                update(CustomerTag)
                .where(*row)
                .values(customer_id=survivor)
                .execution_options(synchronize_session=False)
            )
            moved["tags"] += 1

    for table, column in _other_references():
        cond = table.c[column] == merged
        if "tenant_id" in table.c:
            cond = cond & (table.c.tenant_id == t)
        result = s.execute(update(table).where(cond).values({column: survivor}))
        moved[f"{table.name}.{column}"] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    s.flush()
    return moved, dropped


def _other_references() -> list[tuple[Table, str]]:
    """(table, column) of every foreign key to customers.id that has no rule of its own above."""
    out = []
    customers = Customer.__table__
    for table in Base.metadata.sorted_tables:
        if table.name in _HANDLED or table is CustomerMerge.__table__:
            continue
        for fk in table.foreign_keys:
            if fk.column.table is customers and fk.column.name == "id":
                out.append((table, fk.parent.name))
    return out
