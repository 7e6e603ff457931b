"""Programs and their coalition members. The owner's tenant keeps the whole ledger."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regulars.domain.errors import DomainError, NotFound
from regulars.domain.loyalty.cards import program_prefix
from regulars.domain.loyalty.errors import ProgramExists
from regulars.domain.loyalty.ledger import AccountKind
from regulars.domain.loyalty.program import ProgramSpec, format_tiers, validate_program
from regulars.services.context import BusinessContext
from regulars.services.loyalty.books import find_program, open_account
from regulars.services.loyalty.results import MemberInfo, ProgramInfo
from regulars.services.loyalty.specs import (
    rules_to_json,
    spec_of,
    tiers_to_json,
    unit_digits,
    unit_name,
)
from regulars.store.loyalty_tables import LoyaltyMember, LoyaltyProgram
from regulars.store.tables import Business
from regulars.store.uow import UnitOfWork


class OnlyOwner(DomainError):
    code = "not_program_owner"


def program_info(s: Session, p: LoyaltyProgram) -> ProgramInfo:
    spec = spec_of(p)
    members = s.execute(
        select(Business.slug)
        .join(LoyaltyMember, LoyaltyMember.business_id == Business.id)
        .where(LoyaltyMember.program_id == p.id)
        .order_by(LoyaltyMember.role.desc(), LoyaltyMember.id)  # "owner" sorts after "partner"
    ).scalars()
    owner = s.get_one(Business, p.tenant_id).slug
    rest = [m for m in members if m != owner]
    r = spec.rules
    return ProgramInfo(
        code=p.code,
        owner=owner,
        kind=p.kind,
        currency=p.currency,
        unit=unit_name(p),
        point_value=spec.point_value,
        cashback_percent=r.cashback_percent,
        points_per_unit=r.points_per_unit,
        tiers=tuple(format_tiers(spec.tiers).split(",")) if spec.tiers else (),
        expiry_months=p.expiry_months,
        max_redeem_percent=r.max_redeem_percent,
        repeat_order_discount_percent=r.repeat_order_discount_percent,
        members=(owner, *rest),
    )


def _join(s: Session, program: LoyaltyProgram, business_id: int, role: str) -> LoyaltyMember:
    m = LoyaltyMember(
        tenant_id=program.tenant_id,
        program_id=program.id,
        business_id=business_id,
        role=role,
        joined_at=datetime.now(UTC),
    )
    s.add(m)
    s.flush()
    open_account(s, program, AccountKind.CLEARING, member=business_id)
    return m


def create_program(uow: UnitOfWork, *, ctx: BusinessContext, spec: ProgramSpec) -> ProgramInfo:
    """Store a validated program owned by `ctx`'s business, which becomes its first member."""
    validate_program(spec)
    with uow:
        s = uow.session
        taken = s.scalar(
            select(LoyaltyProgram.id).where(
                LoyaltyProgram.tenant_id == ctx.tenant_id, LoyaltyProgram.code == spec.code
            )
        )
        if taken is not None:
            raise ProgramExists(f"program {spec.code!r} already exists", field="code")
        p = LoyaltyProgram(
            tenant_id=ctx.tenant_id,
            code=spec.code,
            kind=spec.kind,
            currency=spec.currency,
            unit_digits=unit_digits(spec.kind, spec.currency),
            point_value=str(spec.point_value),
            rules=rules_to_json(spec.rules),
            tiers=tiers_to_json(spec.tiers),
            tier_metric=spec.tier_metric,
            expiry_months=spec.expiry_months,
            created_at=datetime.now(UTC),
        )
        s.add(p)
        try:
            s.flush()
        except IntegrityError:
            raise ProgramExists(f"program {spec.code!r} already exists", field="code") from None
        p.card_prefix = program_prefix(p.id)
        open_account(s, p, AccountKind.EXPIRED)
        _join(s, p, ctx.tenant_id, "owner")
        s.flush()
        return program_info(s, p)


def add_member(
    uow: UnitOfWork,
    *,
    ctx: BusinessContext,
    program: str,
    business: str,
    create_missing: bool = False,
) -> MemberInfo:
    """Admit a partner business (by slug). The operator's CLI may create a missing one with the
    owner's defaults (`create_missing`); through the API a tenant never creates another tenant
    (NotFound instead).

    Only the owner admits members; admitting one twice returns the existing membership.
    """
    with uow:
        s = uow.session
        p = find_program(s, ctx, program)
        if p.tenant_id != ctx.tenant_id:
            raise OnlyOwner(f"only the owner of program {p.code} can add members")
        b = s.scalar(select(Business).where(Business.slug == business))
        if b is None and not create_missing:
            raise NotFound(
                f"no business {business!r}: create it first (`regulars admin tenant create`)",
                field="business",
            )
        if b is None:
            owner = s.get_one(Business, ctx.tenant_id)
            b = Business(
                slug=business,
                name=business,
                default_region=owner.default_region,
                default_currency=owner.default_currency,
                default_language=owner.default_language,
                timezone=owner.timezone,
                created_at=datetime.now(UTC),
            )
            s.add(b)
            s.flush()
        m = s.scalar(
            select(LoyaltyMember).where(
                LoyaltyMember.program_id == p.id, LoyaltyMember.business_id == b.id
            )
        )
        if m is None:
            m = _join(s, p, b.id, "partner")
        return MemberInfo(program=p.code, business=b.slug, role=m.role, joined_at=m.joined_at)


def show_program(uow: UnitOfWork, *, ctx: BusinessContext, program: str) -> ProgramInfo:
    with uow:
        return program_info(uow.session, find_program(uow.session, ctx, program))
