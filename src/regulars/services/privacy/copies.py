"""Copies of a customer's data kept outside their own rows: the API's stored answers.

The API keeps the first answer to every creating POST under its Idempotency-Key (a new
customer's dossier, an order with the customer's name, a note, a contact…). Those rows name no
customer id, so they are found by what they contain: the person's names, external id, phones,
e-mails, contacts, address lines and note texts, collected before the erasure deletes them.
A matching answer keeps its key, status and headers (a retry still cannot create twice) but its
body becomes `{"erased": true}`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Text, cast, or_, select, update
from sqlalchemy.orm import Session

from regulars.store.replay_tables import StoredResponse
from regulars.store.tables import Address, Contact, Customer, Email, Note, Phone

MIN_NEEDLE = 4  # shorter values ("An", "Li") would match other people's answers too
ERASED_BODY = {"erased": True}


def identifying_values(s: Session, t: int, ids: Sequence[int]) -> set[str]:
    """What identifies the customers `ids`, as stored text: read before it is deleted."""
    values: set[str] = set()
    for row in s.execute(
        select(Customer.display_name, Customer.legal_name, Customer.external_id).where(
            Customer.tenant_id == t, Customer.id.in_(ids)
        )
    ):
        values.update(v for v in row if v)
    for model, column in (
        (Phone, Phone.e164),
        (Email, Email.address),
        (Contact, Contact.display_name),
        (Address, Address.line1),
        (Note, Note.body),
    ):
        values.update(
            s.scalars(
                select(column).where(
                    model.tenant_id + 0 == t,  # see erasure._tenant: the customer index
                    model.customer_id.in_(ids),
                )
            )
        )
    return {
        v
        for v in values
        if len(v.strip()) >= MIN_NEEDLE and not v.startswith(("erased-", "Erased customer #"))
    }


def _like(value: str) -> str:
    """A LIKE pattern for `value` as it appears inside stored JSON text (escaped the way the
    JSON column writes it), with LIKE's own wildcards escaped."""
    inner = json.dumps(value)[1:-1]
    return "%" + inner.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def scrub_stored_answers(s: Session, t: int, values: set[str]) -> int:
    """Replace the body of every stored API answer of the business containing one of
    `values`; returns how many were scrubbed. One scan of the table per call."""
    if not values:
        return 0
    text = cast(StoredResponse.body, Text)
    conds = [text.like(_like(v), escape="\\") for v in sorted(values)]
    found = list(
        s.scalars(
            select(StoredResponse.id).where(
                StoredResponse.tenant_id == t, StoredResponse.body.is_not(None), or_(*conds)
            )
        )
    )
    if not found:
        return 0
    s.execute(
        update(StoredResponse)
        .where(StoredResponse.id.in_(found))
        .values(body=ERASED_BODY)
        .execution_options(synchronize_session=False)
    )
    return len(found)
