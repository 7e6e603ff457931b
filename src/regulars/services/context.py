"""Who is acting, for which business: passed to every use case so every query filters by tenant."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BusinessContext:
    tenant_id: int
    slug: str
    default_region: str
    default_currency: str
    default_language: str
    timezone: str
    actor_id: int | None = None  # the staff user acting, when known
    actor: str | None = None  # how the audit log names the actor (e-mail, "key <name>", OS user)
    source: str = "cli"  # cli, api or web: where the request came from, for the audit log
