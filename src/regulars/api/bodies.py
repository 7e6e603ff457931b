"""What every request body and query of the resource routes must satisfy beyond its schema:
no NUL characters in any text. PostgreSQL cannot store them, and no real name, note or search
contains one, so they are refused as bad input (422) at the door."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import model_validator
from pydantic_core import PydanticCustomError

from regulars.api.errors import ApiProblem
from regulars.api.schemas import Strict

NUL = "\x00"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class Body(Strict):
    """A request body: unknown fields refused (Strict) and no NUL characters anywhere."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise PydanticCustomError("invalid_text", "text may not contain NUL characters")
        return data


async def clean_query(request: Request) -> None:
    """A router dependency: query parameters and path segments without NUL characters."""
    parts = [*request.query_params.keys(), *request.query_params.values()]
    parts += [str(v) for v in request.path_params.values()]
    if any(NUL in p for p in parts):
        raise ApiProblem(422, "invalid_text", "text may not contain NUL characters")
