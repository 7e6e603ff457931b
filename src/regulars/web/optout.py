"""`/u/<token>`: the opt-out link of every marketing message, and its RFC 8058 one-click POST.

A GET only shows what the button will do: mail scanners open links, and opening one must not
unsubscribe anybody. The POST (the button, or a mail client's one-click `List-Unsubscribe=
One-Click`) withdraws marketing consent for e-mail at once. The token is the credential, so no
login and no CSRF token: a forged POST could only unsubscribe the token's own customer.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from regulars.bootstrap import App
from regulars.domain.errors import DomainError
from regulars.services.optout import opt_out, read_opt_out_token
from regulars.store.tenancy import act_for
from regulars.web.auth import regulars_app, templates

router = APIRouter(include_in_schema=False)
AppDep = Depends(regulars_app)


def _page(request: Request, status: int = 200, **context: object) -> HTMLResponse:
    context.setdefault("lang", "en")
    context.setdefault("title", "E-mail preferences")
    return templates.TemplateResponse(request, "optout.html", context, status_code=status)


def _invalid(request: Request) -> HTMLResponse:
    return _page(request, 404, state="invalid")


@router.get("/u/{token}", response_class=HTMLResponse)
async def confirm(request: Request, token: str, app: App = AppDep) -> HTMLResponse:
    try:
        read_opt_out_token(app.settings.secret_key, token)
    except DomainError:
        return _invalid(request)
    return _page(request, state="ask", token=token)


@router.post("/u/{token}", response_class=HTMLResponse)
async def unsubscribe(request: Request, token: str, app: App = AppDep) -> HTMLResponse:
    try:
        target = read_opt_out_token(app.settings.secret_key, token)
    except DomainError:
        return _invalid(request)
    act_for(target.tenant_id)  # the token's business, for this request's transactions
    try:
        done = await run_in_threadpool(lambda: opt_out(app.uow(), target=target))
    except DomainError:  # an erased or unknown customer: nothing to unsubscribe
        return _invalid(request)
    return _page(request, state="done", business=done.business, already=done.already)
