"""Staff users and departments: who is responsible for a customer, and which unit sells to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.domain.contact_points import normalize_email
from regulars.domain.customers import StaffRole
from regulars.domain.errors import Conflict, NotFound, ValidationError
from regulars.domain.names import clean
from regulars.services.context import BusinessContext
from regulars.store.tables import Department, StaffUser
from regulars.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class StaffView:
    id: int
    email: str
    display_name: str
    role: str
    department: str | None
    active: bool


def staff_id_by_email(session: Session, ctx: BusinessContext, email: str) -> int:
    """The staff user with this e-mail; NotFound says how to add one."""
    address = normalize_email(email)
    sid = session.scalar(
        select(StaffUser.id).where(StaffUser.tenant_id == ctx.tenant_id, StaffUser.email == address)
    )
    if sid is None:
        raise NotFound(
            f"no staff user {address!r}: add one with `regulars customers staff add {address}`",
            field="manager",
        )
    return sid


def department_id_for(session: Session, ctx: BusinessContext, name: str) -> int:
    """The department with this name, created on first use (a name is all a department has)."""
    cleaned = clean(name)
    if not cleaned:
        raise ValidationError("the department name is empty", field="department")
    did = session.scalar(
        select(Department.id).where(
            Department.tenant_id == ctx.tenant_id, Department.name == cleaned
        )
    )
    if did is None:
        dep = Department(tenant_id=ctx.tenant_id, name=cleaned)
        session.add(dep)
        session.flush()
        did = dep.id
    return did


def ensure_department(uow: UnitOfWork, *, ctx: BusinessContext, name: str) -> int:
    """Id of the department called `name`, creating it if the business has none yet."""
    with uow:
        return department_id_for(uow.session, ctx, name)


def add_staff_user(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    email: str,
    display_name: str | None = None,
    role: StaffRole | str = StaffRole.MANAGER,
    department: str | None = None,
) -> StaffView:
    """Register a member of staff (a customer's responsible manager is one); e-mail is the key."""
    address = normalize_email(email)
    try:
        role = StaffRole(role)
    except ValueError:
        roles = ", ".join(r.value for r in StaffRole)
        raise ValidationError(f"unknown role {role!r}: use one of {roles}", field="role") from None
    name = clean(display_name) or address.split("@")[0]
    with uow:
        s = uow.session
        exists = s.scalar(
            select(StaffUser.id).where(
                StaffUser.tenant_id == ctx.tenant_id, StaffUser.email == address
            )
        )
        if exists is not None:
            raise Conflict(f"staff user {address!r} already exists", field="email")
        dep_id = department_id_for(s, ctx, department) if department else None
        user = StaffUser(
            tenant_id=ctx.tenant_id,
            email=address,
            display_name=name,
            role=role.value,
            department_id=dep_id,
            active=True,
            created_at=datetime.now(UTC),
        )
        s.add(user)
        s.flush()
        return StaffView(user.id, address, name, role.value, clean(department), True)


def list_staff(uow: UnitOfWork, *, ctx: BusinessContext) -> list[StaffView]:
    with uow:
        rows = uow.session.execute(
            select(StaffUser, Department.name)
            .outerjoin(Department, Department.id == StaffUser.department_id)
            .where(StaffUser.tenant_id == ctx.tenant_id)
            .order_by(StaffUser.email)
        ).all()
        return [StaffView(u.id, u.email, u.display_name, u.role, dep, u.active) for u, dep in rows]
