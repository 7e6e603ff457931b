"""Who may do what: the permissions of each staff role, decided in one place.

The API, the web pages and the CLI ask `allowed(role, permission)` instead of comparing role
names, so a role's rights can be read (and tested) here as one table.
"""

from __future__ import annotations

from enum import StrEnum

from regulars.domain.customers import StaffRole


class Permission(StrEnum):
    CUSTOMERS_READ = "customers.read"  # dossiers (managers: own fully, department read-only)
    CUSTOMERS_WRITE = "customers.write"
    CUSTOMERS_LIST = "customers.list"  # lists and search
    CUSTOMERS_EXPORT = "customers.export"  # one customer's data, on request
    CUSTOMERS_BULK_EXPORT = "customers.bulk_export"  # always audited
    CUSTOMERS_ERASE = "customers.erase"
    ORDERS_READ = "orders.read"
    ORDERS_WRITE = "orders.write"
    CARD_LOOKUP = "cards.lookup"  # find a card by number or phone: name, balance, tier only
    POS = "pos"  # quote, accrue, redeem, refund
    LOYALTY_ADMIN = "loyalty.admin"  # programs, rules, tiers, vouchers, coalitions
    ANALYTICS = "analytics"  # aggregates and anonymised analytics
    ANALYTICS_PERSONAL = "analytics.personal"  # analytics naming customers
    USERS_ADMIN = "users.admin"
    KEYS_ADMIN = "keys.admin"
    AUDIT_READ = "audit.read"


P = Permission
_ROLE_PERMISSIONS: dict[StaffRole, frozenset[Permission]] = {
    StaffRole.OWNER: frozenset(Permission),
    StaffRole.MANAGER: frozenset(
        {
            P.CUSTOMERS_READ,
            P.CUSTOMERS_WRITE,
            P.CUSTOMERS_LIST,
            P.CUSTOMERS_EXPORT,
            P.ORDERS_READ,
            P.ORDERS_WRITE,
            P.CARD_LOOKUP,
            P.POS,
            P.ANALYTICS,
            P.ANALYTICS_PERSONAL,
        }
    ),
    StaffRole.CASHIER: frozenset({P.CARD_LOOKUP, P.POS}),
    StaffRole.ANALYST: frozenset({P.ANALYTICS}),
    StaffRole.PARTNER: frozenset({P.CARD_LOOKUP, P.POS}),
}

# Rights an owner may add to one user beyond the role (e.g. an analyst who may see names).
GRANTABLE = frozenset({P.ANALYTICS_PERSONAL, P.CUSTOMERS_LIST, P.CUSTOMERS_READ})


def role_of(value: str) -> StaffRole:
    try:
        return StaffRole(value)
    except ValueError:
        roles = ", ".join(r.value for r in StaffRole)
        raise ValueError(f"unknown role {value!r}: use one of {roles}") from None


def permissions(
    role: StaffRole | str, grants: frozenset[str] = frozenset()
) -> frozenset[Permission]:
    """A role's permissions plus the grants given to the user (only grantable ones count)."""
    base = _ROLE_PERMISSIONS[role_of(role) if isinstance(role, str) else role]
    extra = {Permission(g) for g in grants if g in {p.value for p in GRANTABLE}}
    return base | extra


def allowed(
    role: StaffRole | str, permission: Permission, grants: frozenset[str] = frozenset()
) -> bool:
    return permission in permissions(role, grants)


def sees_personal_data(role: StaffRole | str, grants: frozenset[str] = frozenset()) -> bool:
    """Cashiers see a card holder's name only; partners and analysts (ungranted) see none."""
    return Permission.CUSTOMERS_READ in permissions(role, grants)
