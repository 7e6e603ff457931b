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
    # The acting user's role when it limits what they see (a manager: their own customers
    # fully, their department's read-only); None for the business's operator (the CLI).
    role: str | None = None
    department_id: int | None = None

    @property
    def limited_to_own(self) -> bool:
        return self.role == "manager"
