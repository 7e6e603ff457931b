"""Who may do what: the role table users rely on (issue 6 §2)."""

from __future__ import annotations

import pytest

from regulars.domain.access import Permission as P
from regulars.domain.access import allowed, permissions, sees_personal_data


def test_owner_may_do_everything() -> None:
    assert permissions("owner") == frozenset(P)


@pytest.mark.parametrize("role", ["cashier", "partner"])
def test_till_roles_only_operate_cards(role: str) -> None:
    assert permissions(role) == {P.CARD_LOOKUP, P.POS}
    assert not sees_personal_data(role)


def test_manager_works_customers_but_no_bulk_export_or_admin() -> None:
    assert allowed("manager", P.CUSTOMERS_WRITE) and allowed("manager", P.POS)
    for p in (P.CUSTOMERS_BULK_EXPORT, P.USERS_ADMIN, P.KEYS_ADMIN, P.AUDIT_READ):
        assert not allowed("manager", p)


def test_analyst_sees_aggregates_and_names_only_when_granted() -> None:
    assert permissions("analyst") == {P.ANALYTICS}
    assert not allowed("analyst", P.ANALYTICS_PERSONAL)
    granted = frozenset({"analytics.personal"})
    assert allowed("analyst", P.ANALYTICS_PERSONAL, granted)
    # only grantable rights count: a grant cannot make an analyst an administrator
    assert not allowed("analyst", P.USERS_ADMIN, frozenset({"users.admin"}))


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown role 'boss'"):
        permissions("boss")
