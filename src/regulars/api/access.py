"""Who is calling, in which role, and whether the role allows the route: one dependency per
route, `Depends(require(Permission.X))`, answering 403 with the missing permission."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import Depends

from regulars.api.auth import Business
from regulars.api.errors import ApiProblem
from regulars.domain.access import Permission, allowed
from regulars.services.context import BusinessContext


@dataclass(frozen=True, slots=True)
class Principal:
    ctx: BusinessContext
    role: str
    grants: frozenset[str] = field(default_factory=frozenset)

    def may(self, permission: Permission) -> bool:
        return allowed(self.role, permission, self.grants)


async def current_principal(ctx: Business) -> Principal:
    """The caller: the key's business and role (a context without a role acts as owner)."""
    return Principal(ctx, ctx.role or "owner")


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    async def check(principal: Principal = Depends(current_principal)) -> Principal:
        if not principal.may(permission):
            raise ApiProblem(
                403,
                "forbidden",
                f"the {principal.role} role may not do this (needs {permission.value})",
            )
        return principal

    return check
