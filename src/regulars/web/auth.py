"""Signing in and out of the web pages.

- The session cookie holds only a random token (HttpOnly, Secure, SameSite=Lax); the session
  itself lives on the server (services.sessions) and ends at logout, after 30 idle minutes or
  12 hours.
- Every state-changing form carries a CSRF token: the session's own, or before login a token
  that must match a short-lived cookie (double submit), so another site cannot post a form
  that signs a victim into the attacker's account.
- Wrong passwords lock the account (services.users); an address that fails too often is told to
  wait (429), whichever accounts it tries.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from regulars.bootstrap import App
from regulars.domain.errors import LoginRefused
from regulars.services.sessions import ActiveSession, end_session, session_of, start_session
from regulars.services.users import log_in
from regulars.store.tenancy import act_for
from regulars.web.ratelimit import FailureWindow

SESSION_COOKIE = "regulars_session"
LOGIN_CSRF_COOKIE = "regulars_login_csrf"


def regulars_app(request: Request) -> App:
    """The App the server was built with (shared with the API routes)."""
    app: App = request.app.state.regulars
    return app


templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)
failures = FailureWindow()
AppDep = Depends(regulars_app)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _page(request: Request, name: str, status: int = 200, **context: object) -> HTMLResponse:
    context.setdefault("lang", "en")
    return templates.TemplateResponse(request, name, context, status_code=status)


async def current_session(request: Request, app: App = AppDep) -> ActiveSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    found = await run_in_threadpool(session_of, app.uow(), token=token)
    if found is not None:
        act_for(found.ctx.tenant_id)  # in the request's context: its routes' threads inherit it
    return found


Session = Annotated[ActiveSession | None, Depends(current_session)]


def _login_form(
    request: Request, status: int = 200, error: str | None = None, **fields: str
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    page = _page(
        request,
        "login.html",
        status,
        title="Sign in",
        csrf_token=token,
        error=error,
        business=fields.get("business", ""),
        email=fields.get("email", ""),
    )
    page.set_cookie(
        LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, secure=True, samesite="strict"
    )
    return page


@router.get("/login")
def login_page(request: Request, session: Session) -> Response:
    if session is not None:
        return RedirectResponse("/", status_code=303)
    return _login_form(request)


@router.post("/login")
def login(
    request: Request,
    business: Annotated[str, Form(max_length=64)],
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=100)],
    app: App = AppDep,
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected, csrf_token):
        return _login_form(
            request, 403, "The form expired. Please sign in again.", business=business, email=email
        )
    client = _client(request)
    wait = failures.retry_after(client)
    if wait:
        page = _login_form(
            request,
            429,
            f"Too many failed sign-ins. Try again in {wait // 60 + 1} minutes.",
            business=business,
            email=email,
        )
        page.headers["Retry-After"] = str(wait)
        return page
    try:
        who = log_in(app.uow(), tenant=business.strip(), email=email, password=password)
    except LoginRefused as e:
        failures.failed(client)
        return _login_form(request, 401, e.message, business=business, email=email)
    agent = request.headers.get("user-agent", "")[:150]
    token, _csrf = start_session(app.uow(), who=who, client=f"{client} {agent}")
    done = RedirectResponse("/", status_code=303)
    done.set_cookie(SESSION_COOKIE, token, httponly=True, secure=True, samesite="lax", path="/")
    done.delete_cookie(LOGIN_CSRF_COOKIE)
    return done


@router.post("/logout")
def logout(
    request: Request,
    session: Session,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    app: App = AppDep,
) -> Response:
    if session is None:
        return RedirectResponse("/login", status_code=303)
    if not secrets.compare_digest(session.csrf_token, csrf_token):
        return _page(request, "base.html", 403, title="Forbidden")
    end_session(app.uow(), token=request.cookies.get(SESSION_COOKIE, ""))
    done = RedirectResponse("/login", status_code=303)
    done.delete_cookie(SESSION_COOKIE, path="/")
    return done


@router.get("/")
def home(request: Request, session: Session) -> Response:
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return _page(request, "home.html", title=session.business, session=session)
