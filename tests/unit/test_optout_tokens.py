"""Opt-out tokens: they name one customer and cannot be forged or re-pointed."""

from __future__ import annotations

import pytest

from regulars.domain.errors import NotFound, ValidationError
from regulars.services.optout import (
    OptOutTarget,
    opt_out_token,
    opt_out_url,
    read_opt_out_token,
)

SECRET = "correct horse battery staple"


def test_a_token_names_its_customer() -> None:
    t = opt_out_token(SECRET, tenant_id=3, customer_id=42)
    assert read_opt_out_token(SECRET, t) == OptOutTarget(3, 42, None)
    c = opt_out_token(SECRET, tenant_id=3, customer_id=42, contact_id=7)
    assert read_opt_out_token(SECRET, c) == OptOutTarget(3, 42, 7)
    assert opt_out_url("https://crm.example.com/", t) == f"https://crm.example.com/u/{t}"


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("v1.3.42", "v1.3.43"),  # another customer
        lambda t: t.replace("v1.3.", "v1.4."),  # another business
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # another signature
        lambda t: t + ".x",
        lambda t: "v2" + t[2:],
        lambda t: "",
        lambda t: t.replace("42", "٤٢"),  # non-ASCII digits
    ],
)
def test_an_altered_token_is_no_token(change: object) -> None:
    t = opt_out_token(SECRET, tenant_id=3, customer_id=42)
    with pytest.raises(NotFound):
        read_opt_out_token(SECRET, change(t))  # type: ignore[operator]
    with pytest.raises(NotFound):
        read_opt_out_token("another secret of some length", t)


def test_no_links_without_a_real_secret() -> None:
    for secret in (None, "short"):
        with pytest.raises(ValidationError, match="REGULARS_SECRET_KEY"):
            opt_out_token(secret, tenant_id=1, customer_id=1)
