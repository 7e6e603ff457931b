"""`/v1/customers…`: the customer base over HTTP, the same services as `regulars customers`.

A customer is addressed by id (`42`) or external id (`ext:CRM-0042`). GET and PATCH answer with
an `ETag` (the customer's version); a PATCH with `If-Match` is refused with 412 when someone
changed the customer since, so no update is silently lost. Creating POSTs need an
`Idempotency-Key`: a retry returns the first answer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import Field

from regulars.api.access import Principal, require
from regulars.api.auth import regulars_app
from regulars.api.bodies import Body, clean_query
from regulars.api.customer_schemas import (
    AddressBody,
    ConsentIn,
    ContactIn,
    CustomerIn,
    CustomerPage,
    CustomerPatch,
    NoteIn,
)
from regulars.api.errors import PROBLEM_RESPONSES
from regulars.api.idempotency import IdempotencyKey
from regulars.api.paging import after_id, id_cursor
from regulars.api.replay import request_fingerprint, run_once
from regulars.bootstrap import App
from regulars.domain.access import Permission as P
from regulars.services.bulk_export import export_customers
from regulars.services.consents import ConsentView, consent_history, record_consent
from regulars.services.contacts import add_contact, add_note
from regulars.services.customer_queries import (
    SearchHit,
    list_customers,
    resolve_customer,
    search_customers,
    show_customer,
)
from regulars.services.customer_views import ContactView, Dossier, NoteView, version_of
from regulars.services.customers import AddressIn, enroll_customer, update_customer
from regulars.services.privacy import ErasureResult, erase_customer, export_customer

router = APIRouter(
    prefix="/v1/customers",
    tags=["customers"],
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(clean_query)],
)
AppDep = Depends(regulars_app)
Fingerprint = Annotated[str, Depends(request_fingerprint)]

_PATCH_FIELDS = {
    "manager": "manager_email",
}
_PATCH_LISTS = {
    "add_phones": "add_phone_numbers",
    "remove_phones": "remove_phone_numbers",
    "add_emails": "add_email_addresses",
    "remove_emails": "remove_email_addresses",
    "add_tags": "add_tag_values",
    "remove_tags": "remove_tag_values",
    "add_interests": "add_interest_values",
    "remove_interests": "remove_interest_values",
}


def _etag(d: Dossier) -> dict[str, str]:
    return {"ETag": f'"{version_of(d)}"'}


def _add_to(
    app: App,
    who: Principal,
    customer: str,
    replay: tuple[str, str],
    service: Callable[..., Any],
    fields: dict[str, Any],
    model: Any,
) -> JSONResponse:
    """Add something to a customer's dossier once per Idempotency-Key (key, fingerprint)."""
    cid = resolve_customer(app.uow(), ctx=who.ctx, ref=customer)

    def work() -> Any:
        return service(app.uow(), ctx=who.ctx, customer_id=cid, **fields)

    return run_once(app, who.ctx, *replay, work, model)


def _addresses(items: list[AddressBody]) -> list[AddressIn]:
    return [AddressIn(**a.model_dump()) for a in items]


@router.get("", response_model=CustomerPage)
def list_page(
    who: Annotated[Principal, Depends(require(P.CUSTOMERS_LIST))],
    kind: Literal["person", "company"] | None = None,
    manager: str | None = Query(default=None, description="the manager's staff e-mail"),
    department: str | None = None,
    tag: str | None = None,
    language: str | None = None,
    potential: Literal["high", "current", "former"] | None = None,
    region: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
    app: App = AppDep,
) -> object:
    """Customers matching every filter, oldest first, a page at a time (cursor pagination)."""
    rows = list_customers(
        app.uow(),
        ctx=who.ctx,
        kind=kind,
        manager_email=manager,
        department=department,
        tag=tag,
        language=language,
        potential=potential,
        region=region,
        limit=limit + 1,
        after_id=after_id(cursor),
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return CustomerPage(items=rows, next_cursor=id_cursor(rows[-1].id) if more else None)


@router.get("/search", response_model=list[SearchHit])
def search(
    who: Annotated[Principal, Depends(require(P.CUSTOMERS_LIST))],
    q: Annotated[str, Query(min_length=1, max_length=200, description="name, phone, e-mail…")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    app: App = AppDep,
) -> object:
    """Best matches first: external id, phone (typed any way), e-mail, then name."""
    return search_customers(app.uow(), ctx=who.ctx, query=q, limit=limit)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "one row per customer"}},
)
def export_all(
    who: Annotated[Principal, Depends(require(P.CUSTOMERS_BULK_EXPORT))],
    reason: Annotated[str, Query(min_length=1, max_length=500, description="why (audited)")],
    app: App = AppDep,
) -> StreamingResponse:
    """Every active customer as CSV — owners only, always recorded in the audit log."""
    rows = export_customers(app.uow(), ctx=who.ctx, reason=reason)

    def lines() -> Iterator[str]:
        buf = io.StringIO()
        w = csv.writer(buf)
        for row in rows:
            w.writerow(row)
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="customers.csv"'},
    )


@router.post("", response_model=Dossier, status_code=201)
def create(
    body: CustomerIn,
    who: Annotated[Principal, Depends(require(P.CUSTOMERS_WRITE))],
    key: IdempotencyKey,
    fingerprint: Fingerprint,
    app: App = AppDep,
) -> JSONResponse:
    """Add a person or a company; answers with the dossier (and its ETag)."""
    data = body.model_dump(exclude={"addresses", "manager"})

    def work() -> Dossier:
        return enroll_customer(
            app.uow(),
            ctx=who.ctx,
            addresses=_addresses(body.addresses),
            manager_email=body.manager,
            **data,
        )

    return run_once(app, who.ctx, key, fingerprint, work, Dossier, headers=_etag)


@router.get("/{customer}", response_model=Dossier)
def show(
    customer: str,
    response: Response,
    who: Annotated[Principal, Depends(require(P.CUSTOMERS_READ))],
    app: App = AppDep,
) -> object:
    """The whole dossier; opening it is recorded in the audit log."""
    cid = resolve_customer(app.uow(), ctx=who.ctx, ref=customer)
    d = show_customer(app.uow(), ctx=who.ctx, customer_id=cid)
    response.headers.update(_etag(d))
    return d


@router.patch("/{customer}", response_model=Dossier)
def patch(
    customer: str,
    body: CustomerPatch,
    response: Response,
    who: Annotated[Principal, Depends(require(P.CUSTOMERS_WRITE))],
    if_match: Annotated[str | None, Header()] = None,
    app: App = AppDep,
) -> object:
    """Change the fields sent; with `If-Match: <ETag>` a stale version is refused with 412."""
    cid = resolve_customer(app.uow(), ctx=who.ctx, ref=customer)
    given = body.model_fields_set
    changes: dict[str, Any] = {}
    for name in given:
        value = getattr(body, name)
        if name == "add_addresses":
            changes["add_addresses"] = _addresses(value)
        elif name in _PATCH_LISTS:
            changes[_PATCH_LISTS[name]] = value
        else:
            changes[_PATCH_FIELDS.get(name, name)] = value
    version = if_match.strip().removeprefix("W/").strip('"') if if_match else None
    d = update_customer(app.uow(), ctx=who.ctx, customer_id=cid, if_version=version, **changes)
    response.headers.update(_etag(d))
    return d


@router.post("/{customer}/notes", response_model=NoteView, status_code=201)
def note(
    customer: str,
    body: NoteIn,
    who: Annotated[Principal, Depends(require(P.CUSTOMERS_WRITE))],
    key: IdempotencyKey,
    fingerprint: Fingerprint,
    app: App = AppDep,
) -> JSONResponse:
    """Add a note to the dossier; `feedback` and `suggestion` count towards loyalty."""
    fields = {"body": body.body, "author_email": body.author, "kind": body.kind}
    return _add_to(app, who, customer, (key, fingerprint), add_note, fields, NoteView)


@router.post("/{customer}/contacts", response_model=ContactView, status_code=201)
def contact(
    customer: str,
    body: ContactIn,
    who: Annotated[Principal, Depends(require(P.CUSTOMERS_WRITE))],
    key: IdempotencyKey,
    fingerprint: Fingerprint,
    app: App = AppDep,
) -> JSONResponse:
    """A person at a company customer: level, role in buying, stance."""
    return _add_to(
        app, who, customer, (key, fingerprint), add_contact, body.model_dump(), ContactView
    )


@router.post("/{customer}/consents", response_model=ConsentView, status_code=201)
def consent(
    customer: str,
    body: ConsentIn,
    who: Annotated[Principal, Depends(require(P.CUSTOMERS_WRITE))],
    key: IdempotencyKey,
    fingerprint: Fingerprint,
    app: App = AppDep,
) -> JSONResponse:
    """Record a grant or a withdrawal for a channel and purpose (the history is kept)."""
    return _add_to(
        app, who, customer, (key, fingerprint), record_consent, body.model_dump(), ConsentView
    )


@router.get("/{customer}/export")
def export_one(
    customer: str,
    who: Annotated[Principal, Depends(require(P.CUSTOMERS_EXPORT))],
    app: App = AppDep,
) -> dict[str, Any]:
    """Everything held about one customer, as JSON (their right of access); audited."""
    cid = resolve_customer(app.uow(), ctx=who.ctx, ref=customer)
    return export_customer(app.uow(), who.ctx, cid)


class EraseIn(Body):
    reason: Annotated[str, Field(max_length=500)] | None = None


@router.post("/{customer}/erase", response_model=ErasureResult)
def erase(
    customer: str,
    body: EraseIn,
    who: Annotated[Principal, Depends(require(P.CUSTOMERS_ERASE))],
    app: App = AppDep,
) -> object:
    """Remove the person, keep the books (orders, ledger, totals); erasing twice says so.
    Safe to retry, so no Idempotency-Key is needed."""
    cid = resolve_customer(app.uow(), ctx=who.ctx, ref=customer)
    return erase_customer(app.uow(), who.ctx, cid, body.reason)


@router.get("/{customer}/consents", response_model=list[ConsentView])
def consents(
    customer: str,
    who: Annotated[Principal, Depends(require(P.CUSTOMERS_READ))],
    app: App = AppDep,
) -> object:
    """Every grant and withdrawal, oldest first."""
    cid = resolve_customer(app.uow(), ctx=who.ctx, ref=customer)
    return consent_history(app.uow(), ctx=who.ctx, customer_id=cid)
