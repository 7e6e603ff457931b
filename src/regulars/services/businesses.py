"""Businesses (tenants): the CLI works on one, created on first use with the configured defaults."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from regulars.domain.errors import NotFound
from regulars.services.context import BusinessContext
from regulars.store.tables import Business
from regulars.store.uow import UnitOfWork


def context_of(b: Business, actor_id: int | None = None) -> BusinessContext:
    return BusinessContext(
        tenant_id=b.id,
        slug=b.slug,
        default_region=b.default_region,
        default_currency=b.default_currency,
        default_language=b.default_language,
        timezone=b.timezone,
        actor_id=actor_id,
    )


def ensure_business(
    uow: UnitOfWork,
    *,
    slug: str,
    name: str | None = None,
    default_region: str = "US",
    default_currency: str = "USD",
    default_language: str = "en",
    timezone: str = "UTC",
) -> BusinessContext:
    """Return the business with this slug, creating it with the given defaults if missing."""
    with uow:
        s = uow.session
        b = s.scalar(select(Business).where(Business.slug == slug))
        if b is None:
            b = Business(
                slug=slug,
                name=name or slug,
                default_region=default_region.upper(),
                default_currency=default_currency.upper(),
                default_language=default_language,
                timezone=timezone,
                created_at=datetime.now(UTC),
            )
            s.add(b)
            s.flush()
        return context_of(b)


def find_business(uow: UnitOfWork, *, slug: str) -> BusinessContext:
    with uow:
        b = uow.session.scalar(select(Business).where(Business.slug == slug))
        if b is None:
            raise NotFound(f"no business {slug!r}")
        return context_of(b)
