"""Businesses (tenants): the CLI works on one, created on first use with the configured defaults."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.domain.errors import NotFound, ValidationError
from regulars.domain.money import normalize_currency
from regulars.domain.names import normalize_language
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


def new_business(
    session: Session,
    *,
    slug: str,
    name: str,
    default_region: str,
    default_currency: str,
    default_language: str,
    timezone: str,
) -> Business:
    """Add a business whose settings are checked: a wrong currency or time zone would make
    every later order or "today" wrong."""
    region = default_region.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(
            f"unknown region {default_region!r} (ISO 3166, e.g. VN)", field="region"
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"unknown time zone {timezone!r} (e.g. Asia/Bangkok)", field="timezone"
        ) from None
    b = Business(
        slug=slug,
        name=name[:200],
        default_region=region,
        default_currency=normalize_currency(default_currency),
        default_language=normalize_language(default_language) or "en",
        timezone=timezone,
        created_at=datetime.now(UTC),
    )
    session.add(b)
    session.flush()
    return b


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
            b = new_business(
                s,
                slug=slug,
                name=name or slug,
                default_region=default_region,
                default_currency=default_currency,
                default_language=default_language,
                timezone=timezone,
            )
        return context_of(b)


def find_business(uow: UnitOfWork, *, slug: str) -> BusinessContext:
    with uow:
        b = uow.session.scalar(select(Business).where(Business.slug == slug))
        if b is None:
            raise NotFound(f"no business {slug!r}")
        return context_of(b)
