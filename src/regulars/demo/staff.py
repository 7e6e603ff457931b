"""The business's own people and catalogue: departments, managers, cashiers, products.

Each department gets managers in proportion to its customers; the key-account department has
two, each with at most three key accounts (DOMAIN §4). One retail manager has left the company
but still holds customers: the hand-over someone has to do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from regulars.demo import catalog as C
from regulars.demo.customers import Customers
from regulars.demo.people import ascii_word
from regulars.domain.customers import StaffRole


@dataclass
class Staff:
    display: list[str]
    email: list[str]
    role: list[str]
    department: list[int | None]  # index into catalog.DEPARTMENTS
    active: list[bool]
    managers: dict[int, list[int]]  # department -> staff indexes of its managers

    @property
    def n(self) -> int:
        return len(self.display)


def staff_count(c: Customers) -> int:
    return sum(_managers_per_department(c).values()) + len(C.STAFF_FIXED) + _cashier_count()


def _cashier_count() -> int:
    return sum(len(s) for s in C.SHOPS.values())


def _managers_per_department(c: Customers) -> dict[int, int]:
    per = np.bincount(c.department, minlength=len(C.DEPARTMENTS))
    out = {d: int(np.clip(round(per[d] / 400), 2, 60)) for d in range(len(C.DEPARTMENTS))}
    out[C.KEY] = 2
    return out


def make_staff(c: Customers, names: dict[str, np.ndarray]) -> Staff:
    """Owner and analyst first, then managers by department, then a cashier per shop."""
    plan: list[tuple[str, int | None]] = [(role, dept) for role, dept, _ in C.STAFF_FIXED]
    managers: dict[int, list[int]] = {}
    for dept, k in _managers_per_department(c).items():
        managers[dept] = list(range(len(plan), len(plan) + k))
        plan += [(StaffRole.MANAGER.value, dept)] * k
    for dept, shops in C.SHOPS.items():
        plan += [(StaffRole.CASHIER.value, dept)] * len(shops)
    display = [str(v) for v in names["display"][: len(plan)]]
    seen: set[str] = set()
    emails = []
    for i, (given, family) in enumerate(zip(names["given"], names["family"], strict=False)):
        if i >= len(plan):
            break
        local = f"{ascii_word(str(given))}.{ascii_word(str(family))}"
        email, k = f"{local}@{C.STAFF_DOMAIN}", 1
        while email in seen:
            k += 1
            email = f"{local}{k}@{C.STAFF_DOMAIN}"
        seen.add(email)
        emails.append(email)
    active = [True] * len(plan)
    active[managers[C.RETAIL_HCMC][1]] = False  # left last month; customers not handed over
    return Staff(
        display=display,
        email=emails,
        role=[r for r, _ in plan],
        department=[d for _, d in plan],
        active=active,
        managers=managers,
    )


def assign_managers(c: Customers, staff: Staff, rng: np.random.Generator) -> np.ndarray:
    """Each customer's responsible manager (a staff index), from its own department."""
    out = np.zeros(c.n, dtype=np.int64)
    for dept, idx in staff.managers.items():
        at = np.flatnonzero(c.department == dept)
        out[at] = np.array(idx)[rng.integers(0, len(idx), len(at))]
    key = np.flatnonzero(c.key_account >= 0)
    key_managers = staff.managers[C.KEY]
    out[key] = [key_managers[int(c.key_account[i]) // 2 % len(key_managers)] for i in key]
    return out


def product_columns() -> dict[str, list[object]]:
    return {
        "sku": [p.sku for p in C.PRODUCTS],
        "name": [p.name for p in C.PRODUCTS],
        "category": [p.category for p in C.PRODUCTS],
        "unit_cost_minor": [p.price * p.cost_pct // 100 for p in C.PRODUCTS],
        "cost_currency": [C.CURRENCY] * len(C.PRODUCTS),
    }
