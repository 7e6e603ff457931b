"""Opting out by a link in a message: no password, a signed token naming one customer.

The token is `v1.<tenant>.<customer>.<contact>.<mac>` with an HMAC-SHA256 (truncated to 128
bits) under the install's secret key: it cannot be forged or pointed at another customer, and
it needs no table. Opting out appends a withdrawal of marketing consent for the channel to the
consent history, effective at once; service messages about orders are not affected.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, replace

from sqlalchemy import select

from regulars.domain.customers import ConsentChannel, ConsentPurpose
from regulars.domain.errors import NotFound, ValidationError
from regulars.services.businesses import context_of
from regulars.services.consents import consent_in_force, record_consent
from regulars.store.tables import Business
from regulars.store.tenancy import act_for_now
from regulars.store.uow import UnitOfWork

_VERSION = "v1"


@dataclass(frozen=True, slots=True)
class OptOutTarget:
    tenant_id: int
    customer_id: int
    contact_id: int | None


@dataclass(frozen=True, slots=True)
class OptOutResult:
    business: str  # the business's name, for the confirmation page
    channel: str
    already: bool  # they had opted out (or never opted in) before


def _mac(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _check_secret(secret: str | None) -> str:
    if not secret or len(secret) < 16:
        raise ValidationError(
            "set REGULARS_SECRET_KEY (16 characters or more) to sign opt-out links",
            field="secret_key",
        )
    return secret


def opt_out_token(
    secret: str | None, *, tenant_id: int, customer_id: int, contact_id: int | None = None
) -> str:
    payload = f"{_VERSION}.{tenant_id}.{customer_id}.{contact_id or 0}"
    return f"{payload}.{_mac(_check_secret(secret), payload)}"


def read_opt_out_token(secret: str | None, token: str) -> OptOutTarget:
    """The customer a token names; NotFound for anything forged, altered or malformed (a
    wrong link looks like no link)."""
    key = _check_secret(secret)
    parts = token.split(".")
    unknown = NotFound("this opt-out link is not valid")
    if len(parts) != 5 or parts[0] != _VERSION or not all(p.isascii() for p in parts):
        raise unknown
    payload = ".".join(parts[:4])
    if not hmac.compare_digest(_mac(key, payload), parts[4]):
        raise unknown
    try:
        tenant, customer, contact = (int(p) for p in parts[1:4])
    except ValueError:
        raise unknown from None
    return OptOutTarget(tenant, customer, contact or None)


def opt_out_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/u/{token}"


def opt_out(
    uow: UnitOfWork,
    *,
    target: OptOutTarget,
    channel: ConsentChannel | str = ConsentChannel.EMAIL,
    source: str = "opt-out link",
) -> OptOutResult:
    """Withdraw marketing consent on `channel` for the token's customer (at once)."""
    ch = ConsentChannel(channel)
    with uow:
        s = uow.session
        b = s.scalar(select(Business).where(Business.id == target.tenant_id))
        if b is None:
            raise NotFound("this opt-out link is not valid")
        act_for_now(s, b.id)
        ctx = replace(context_of(b), actor="opt-out link", source="web")
        granted = consent_in_force(
            s, ctx, target.customer_id, ch, ConsentPurpose.MARKETING, target.contact_id
        )
        name = b.name
    already = not granted
    if not already:
        record_consent(
            uow,
            ctx=ctx,
            customer_id=target.customer_id,
            contact_id=target.contact_id,
            channel=ch,
            purpose=ConsentPurpose.MARKETING,
            granted=False,
            source=source,
        )
    return OptOutResult(name, ch.value, already)
