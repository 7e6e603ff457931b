"""A manager sees their own customers fully, their department's read-only, nobody else's —
enforced in the services, so the API, the web pages and scripts all obey it (issue 6 §2)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from regulars.bootstrap import App
from regulars.domain.errors import Forbidden, NotFound
from regulars.services.contacts import add_note
from regulars.services.context import BusinessContext
from regulars.services.customer_queries import list_customers, search_customers, show_customer
from regulars.services.customers import enroll_customer, update_customer
from regulars.services.staff import add_staff_user


@pytest.fixture
def people(app: App, ctx: BusinessContext) -> dict[str, int]:
    ids = {}
    for key, dept in (("m1", "North"), ("m2", "North"), ("m3", "South")):
        add_staff_user(app.uow(), ctx=ctx, email=f"{key}@shop.example", department=dept)
    for name, manager, dept in (
        ("Anh Mine", "m1", "North"),
        ("Binh Colleague", "m2", "North"),
        ("Chau Elsewhere", "m3", "South"),
    ):
        ids[name] = enroll_customer(
            app.uow(),
            ctx=ctx,
            name=name,
            manager_email=f"{manager}@shop.example",
            department=dept,
        ).id
    return ids


def as_manager(app: App, ctx: BusinessContext, email: str) -> BusinessContext:
    from sqlalchemy import select

    from regulars.store.tables import StaffUser

    with app.uow() as uow:
        user = uow.session.scalars(select(StaffUser).where(StaffUser.email == email)).one()
        return replace(ctx, actor_id=user.id, role="manager", department_id=user.department_id)


def test_own_fully_department_read_only_others_invisible(
    app: App, ctx: BusinessContext, people: dict[str, int]
) -> None:
    m1 = as_manager(app, ctx, "m1@shop.example")
    mine, colleague, other = (people[n] for n in ("Anh Mine", "Binh Colleague", "Chau Elsewhere"))
    assert update_customer(app.uow(), ctx=m1, customer_id=mine, region="Hà Nội").region == "Hà Nội"
    add_note(app.uow(), ctx=m1, customer_id=mine, body="Prefers calls")
    assert show_customer(app.uow(), ctx=m1, customer_id=colleague).id == colleague
    with pytest.raises(Forbidden, match="read-only"):
        update_customer(app.uow(), ctx=m1, customer_id=colleague, region="Huế")
    with pytest.raises(Forbidden):
        add_note(app.uow(), ctx=m1, customer_id=colleague, body="x")
    with pytest.raises(NotFound):
        show_customer(app.uow(), ctx=m1, customer_id=other)
    listed = [c.id for c in list_customers(app.uow(), ctx=m1)]
    assert listed == [mine, colleague]
    assert search_customers(app.uow(), ctx=m1, query="Chau Elsewhere") == []
    # The business's operator (no role) still sees everyone.
    assert len(list_customers(app.uow(), ctx=ctx)) == 3
