"""Turn the generated plan into rows of every table and bulk-load them, parents first."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Engine

from regulars.demo import catalog as C
from regulars.demo.customers import KEY, LAPSED, PROSPECT, Customers
from regulars.demo.dossier import KEY_ACCOUNTS
from regulars.demo.identity import Contacts, Names, name_everyone
from regulars.demo.lines import PRICES, Lines
from regulars.demo.load import (
    Progress,
    checks_set_aside,
    clear_tenant,
    next_id,
    table_of,
    tenant_tables,
    write,
)
from regulars.demo.orders import CHANNELS, STATUSES, STORES, Orders, history_texts, status_rows
from regulars.demo.reach import Reach, reach_everyone
from regulars.demo.records import consent_rows, note_rows, tag_rows
from regulars.demo.staff import Staff, assign_managers, make_staff, product_columns, staff_count
from regulars.demo.summary import first_deal_dates
from regulars.store.tables import (
    Address,
    Consent,
    Contact,
    Customer,
    CustomerTag,
    Department,
    Email,
    Note,
    Order,
    OrderLine,
    OrderStatusChange,
    Phone,
    Product,
    StaffUser,
)

if TYPE_CHECKING:
    from regulars.demo.build import Plan

STATUS_NAMES = np.array([s.value for s in STATUSES] + [None], dtype=object)  # -1 -> None
ORDER_CHUNK = 200_000
# Tables that get many rows: their indexes (and foreign keys) are built once, after the load.
_LOADED = (
    *(Customer, Contact, Phone, Email, Address, CustomerTag, Note, Consent),
    *(Order, OrderLine, OrderStatusChange),
)


def _ids(base: int, n: int) -> np.ndarray:
    return base + np.arange(n, dtype=np.int64)


def _optional(ids: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Ids where index >= 0, None elsewhere (a phone of the company, not of a contact)."""
    out = np.full(len(index), None, dtype=object)
    at = index >= 0
    out[at] = ids[index[at]].tolist()
    return out


def write_all(
    engine: Engine,
    *,
    tenant: int,
    seed: int,
    plan: Plan,
    contacts: Contacts,
    lines: Lines,
    totals: np.ndarray,
    clear: bool,
    streams: list[np.random.Generator],
    progress: Progress | None,
) -> tuple[Names, Reach, int]:
    """Clear an earlier demo, write every table; returns what the summary needs (the names,
    the contact points, the first customer id)."""
    c = plan.customers
    names, staff_names = name_everyone(c, contacts, staff_count(c), seed, streams[4])
    staff = make_staff(c, staff_names)
    manager = assign_managers(c, staff, streams[5])
    reach = reach_everyone(c, contacts, names, seed, streams[6])
    with checks_set_aside(engine, [table_of(t) for t in _LOADED], progress):
        if clear:
            clear_tenant(engine, tenant)
        with engine.connect() as conn:
            bases = {t.name: next_id(conn, t) for t in tenant_tables() if "id" in t.c}
        _write_rows(engine, tenant, plan, contacts, lines, totals, bases, streams[7], progress,
                    names, staff, manager, reach)  # fmt: skip
    return names, reach, bases["customers"]


def _write_rows(
    engine: Engine,
    tenant: int,
    plan: Plan,
    contacts: Contacts,
    lines: Lines,
    totals: np.ndarray,
    bases: dict[str, int],
    rng: np.random.Generator,
    progress: Progress | None,
    names: Names,
    staff: Staff,
    manager: np.ndarray,
    reach: Reach,
) -> None:
    c, o, cal = plan.customers, plan.orders, plan.cal
    w = partial(write, engine, progress=progress)
    dep = _ids(bases["departments"], len(C.DEPARTMENTS))
    staff_ids = _ids(bases["staff_users"], staff.n)
    products = _ids(bases["products"], len(C.PRODUCTS))
    cid = _ids(bases["customers"], c.n)
    contact_ids = _ids(bases["contacts"], contacts.n)
    order_ids = _ids(bases["orders"], o.m)
    opened = int(cal.day_start_us[0]) - 90 * 86_400 * 1_000_000

    w(table_of(Department), {"id": dep, "tenant_id": tenant, "name": list(C.DEPARTMENTS)})
    w(
        table_of(StaffUser),
        {
            "id": staff_ids,
            "tenant_id": tenant,
            "email": staff.email,
            "display_name": staff.display,
            "role": staff.role,
            "department_id": [None if d is None else int(dep[d]) for d in staff.department],
            "active": staff.active,
            "created_at": np.full(staff.n, opened, dtype=np.int64),
        },
    )
    w(table_of(Product), {"id": products, "tenant_id": tenant, **product_columns()})
    w(table_of(Customer), _customer_columns(c, plan, names, tenant, cid, staff_ids[manager], dep))
    w(
        table_of(Contact),
        {
            "id": contact_ids,
            "tenant_id": tenant,
            "customer_id": cid[contacts.company],
            "display_name": contacts.display,
            "family_name": contacts.family,
            "given_name": contacts.given,
            "level": contacts.level,
            "job_title": contacts.title,
            "department": contacts.department,
            "buying_role": contacts.role,
            "stance": contacts.stance,
            "birthday": contacts.birthday,
            "language": np.array(C.LANGS, dtype=object)[contacts.lang],
            "created_at": plan.created_us[contacts.company],
        },
    )
    for table, rows, value in ((Phone, reach.phones, "e164"), (Email, reach.emails, "address")):
        w(
            table_of(table),
            {
                "id": _ids(bases[table.__tablename__], len(rows["customer"])),
                "tenant_id": tenant,
                "customer_id": cid[rows["customer"]],
                "contact_id": _optional(contact_ids, rows["contact"]),
                value: rows[value],
                "label": rows["label"],
                "is_primary": rows["primary"],
            },
        )
    a = reach.addresses
    w(
        table_of(Address),
        {
            "id": _ids(bases["addresses"], len(a["customer"])),
            "tenant_id": tenant,
            "customer_id": cid[a["customer"]],
            "label": a["label"],
            "line1": a["line1"],
            "city": a["city"],
            "region": a["region"],
            "postal_code": a["postal"],
            "country": a["country"],
        },
    )
    gifts = np.bincount(o.customer[o.gift], minlength=c.n)
    tags = tag_rows(c, gifts, rng)
    w(
        table_of(CustomerTag),
        {
            "customer_id": cid[tags["customer"]],
            "kind": tags["kind"],
            "value": tags["value"],
            "tenant_id": tenant,
        },
    )
    notes = note_rows(c, contacts, contacts.display, plan.first_us, plan.last_us, manager, rng)
    w(
        table_of(Note),
        {
            "id": _ids(bases["notes"], len(notes["customer"])),
            "tenant_id": tenant,
            "customer_id": cid[notes["customer"]],
            "author_id": staff_ids[notes["author"]],
            "created_at": notes["at"],
            "body": notes["body"],
        },
    )
    first_order = np.unique(o.customer, return_index=True)
    till_first = np.zeros(c.n, dtype=bool)
    till_first[first_order[0]] = o.channel[first_order[1]] == 0
    cons = consent_rows(c, contacts, reach, plan.created_us, till_first, cal.as_of_us, rng)
    w(
        table_of(Consent),
        {
            "id": _ids(bases["consents"], len(cons["customer"])),
            "tenant_id": tenant,
            "customer_id": cid[cons["customer"]],
            "contact_id": _optional(contact_ids, cons["contact"]),
            "channel": cons["channel"],
            "purpose": cons["purpose"],
            "granted": cons["granted"],
            "source": cons["source"],
            "recorded_at": cons["at"],
        },
    )
    _write_orders(
        engine, o, c, lines, totals, tenant, cid, order_ids, products, bases, rng, progress
    )


def _only(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.full(len(values), None, dtype=object)
    out[mask] = values[mask]
    return out


def _customer_columns(
    c: Customers,
    plan: Plan,
    names: Names,
    tenant: int,
    cid: np.ndarray,
    manager_ids: np.ndarray,
    dep: np.ndarray,
) -> dict[str, Any]:
    cal = plan.cal
    person = ~c.company
    first_deal = first_deal_dates(plan)
    region = np.array([C.COUNTRY_NAME[C.LANGS[li]] for li in c.lang], dtype=object)
    in_vn = c.city >= 0
    cities = np.array([name for name, _, _ in C.VN_CITIES], dtype=object)
    region[in_vn] = cities[c.city[in_vn]]
    for i, account in enumerate(KEY_ACCOUNTS):
        region[c.key_account == i] = account.region
    potential = np.full(c.n, "current", dtype=object)
    potential[c.segment == PROSPECT] = "high"
    potential[c.segment == LAPSED] = "former"
    potential[(c.segment == KEY) & (c.end_day < cal.days - 60)] = "former"
    rank = np.argsort(np.argsort(c.value)) / max(c.n - 1, 1)
    income = np.select([rank < 0.33, rank < 0.8], ["low", "middle"], "high").astype(object)
    income[c.company | (c.duplicate_of >= 0) | (np.arange(c.n) % 10 < 3)] = None

    def people_only(v: np.ndarray) -> np.ndarray:
        return _only(person, v)

    return {
        "id": cid,
        "tenant_id": tenant,
        "kind": np.where(c.company, "company", "person").astype(object),
        "display_name": names.display,
        "family_name": people_only(names.family),
        "given_name": people_only(names.given),
        "middle_name": people_only(names.middle),
        "legal_name": _only(c.company, names.legal),
        "name_key": names.key,
        "language": np.array(C.LANGS, dtype=object)[c.lang],
        "birthday": np.where(person, c.birthday, np.datetime64("NaT")),
        "founded_on": np.where(c.company, c.founded, np.datetime64("NaT")),
        "first_deal_on": first_deal,
        "first_deal_overridden": False,
        "manager_id": manager_ids,
        "department_id": dep[c.department],
        "potential": potential,
        "region": region,
        "income_band": income,
        "status": "active",
        "created_at": plan.created_us,
        "updated_at": plan.created_us,
    }


def _write_orders(
    engine: Engine,
    o: Orders,
    c: Customers,
    lines: Lines,
    totals: np.ndarray,
    tenant: int,
    cid: np.ndarray,
    order_ids: np.ndarray,
    products: np.ndarray,
    bases: dict[str, int],
    rng: np.random.Generator,
    progress: Progress | None,
) -> None:
    w = partial(write, engine, progress=progress)
    w(
        table_of(Order),
        {
            "id": order_ids,
            "tenant_id": tenant,
            "customer_id": cid[o.customer],
            "currency": C.CURRENCY,
            "total_minor": totals,
            "placed_at": o.placed_us,
            "status": STATUS_NAMES[o.status],
            "status_changed_at": o.changed_us,
            "store": np.array(STORES, dtype=object)[o.store],
            "channel": np.array(CHANNELS, dtype=object)[o.channel],
            "created_at": o.placed_us,
        },
    )
    w(
        table_of(OrderLine),
        {
            "id": _ids(bases["order_lines"], len(lines.order)),
            "tenant_id": tenant,
            "order_id": order_ids[lines.order],
            "line_no": lines.line_no,
            "product_id": products[lines.product],
            "quantity": lines.q_milli,
            "unit_price_minor": PRICES[lines.product],
            "line_total_minor": lines.total,
        },
    )
    total = int(o.reached.astype(np.int64).sum())
    first, done = bases["order_status_changes"], 0
    for lo in range(0, o.m, ORDER_CHUNK):
        rows = status_rows(o, lo, min(o.m, lo + ORDER_CHUNK))
        k = len(rows["order"])
        lang = c.lang[o.customer[rows["order"]]]
        note, location = history_texts(rows["to"], rows["held"], lang, rng)
        write(
            engine,
            table_of(OrderStatusChange),
            {
                "id": _ids(first, k),
                "tenant_id": tenant,
                "order_id": order_ids[rows["order"]],
                "from_status": STATUS_NAMES[rows["from"]],
                "to_status": STATUS_NAMES[rows["to"]],
                "at": rows["at"],
                "note": note,
                "location": location,
            },
            progress=progress,
            label="order history",
            done_before=done,
            total=total,
        )
        first += k
        done += k
