"""Signing in to the web pages: cookies, CSRF, lockout, rate limit, expiry, logout (issue 6)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from regulars.bootstrap import App
from regulars.services import users
from regulars.services.context import BusinessContext
from regulars.store.web_tables import WebSession
from regulars.web import auth as web_auth
from tests.fixtures.api import served_app

PASSWORD = "correct horse battery"


@pytest.fixture
def browser(request: pytest.FixtureRequest, app: App, ctx: BusinessContext) -> Iterator[TestClient]:
    users.add_user(app.uow(), ctx=ctx, email="ana@sol.es", role="manager", password=PASSWORD)
    web_auth.failures = web_auth.FailureWindow()  # each test starts with a clean slate
    api = served_app(request, app)
    api.include_router(web_auth.router)
    with TestClient(api, base_url="https://testserver", follow_redirects=False) as c:
        yield c


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def sign_in(c: TestClient, password: str = PASSWORD, email: str = "ana@sol.es") -> object:
    form = c.get("/login")
    return c.post(
        "/login",
        data={
            "business": "default",
            "email": email,
            "password": password,
            "csrf_token": csrf(form.text),
        },
    )


def test_sign_in_sets_a_safe_cookie_and_shows_who(browser: TestClient) -> None:
    assert browser.get("/").headers["location"] == "/login"
    r = sign_in(browser)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("regulars_session="))
    for flag in ("HttpOnly", "Secure", "SameSite=lax"):
        assert flag.lower() in cookie.lower()
    home = browser.get("/")
    assert home.status_code == 200 and "ana@sol.es" in home.text and "manager" in home.text


def test_login_form_without_its_csrf_token_is_refused(browser: TestClient) -> None:
    browser.get("/login")
    r = browser.post(
        "/login",
        data={
            "business": "default",
            "email": "ana@sol.es",
            "password": PASSWORD,
            "csrf_token": "forged",
        },
    )
    assert r.status_code == 403 and "regulars_session" not in r.headers.get("set-cookie", "")


def test_wrong_password_then_lockout(browser: TestClient) -> None:
    for _ in range(users.MAX_FAILURES):
        r = sign_in(browser, password="wrong password!")
        assert r.status_code == 401 and "wrong e-mail or password" in r.text
    assert sign_in(browser).status_code == 401  # locked: the right password is refused too


def test_an_address_that_keeps_failing_must_wait(browser: TestClient) -> None:
    for i in range(web_auth.failures.limit):
        assert sign_in(browser, email=f"nobody{i}@sol.es").status_code == 401
    r = sign_in(browser)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_logout_needs_the_csrf_token_and_ends_the_session(browser: TestClient, app: App) -> None:
    sign_in(browser)
    home = browser.get("/")
    assert browser.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert browser.get("/").status_code == 200  # still signed in
    r = browser.post("/logout", data={"csrf_token": csrf(home.text)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    with app.engine.connect() as c:
        assert c.execute(select(WebSession)).first() is None
    assert browser.get("/").headers["location"] == "/login"


def test_idle_and_old_sessions_end(browser: TestClient, app: App) -> None:
    sign_in(browser)
    assert browser.get("/").status_code == 200
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    with app.engine.begin() as c:
        c.execute(update(WebSession).values(last_seen_at=long_ago))
    assert browser.get("/").headers["location"] == "/login"  # 30 idle minutes passed
    sign_in(browser)
    with app.engine.begin() as c:
        c.execute(update(WebSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert browser.get("/").headers["location"] == "/login"  # past its 12 hours
