"""Birthday and anniversary greetings end to end: `regulars worker --once --today D` queues and
sends one e-mail per occasion through a real SMTP server, in the customer's language with
their name, only with consent; the same day again sends nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from regulars.bootstrap import App
from regulars.domain.outbox import Channel
from regulars.services.consents import record_consent
from regulars.services.contacts import add_contact
from regulars.services.context import BusinessContext
from regulars.services.customers import enroll_customer
from regulars.services.greetings import MailSetup, greet_occasions
from regulars.services.outbox import Envelope, enqueue
from tests.fixtures.mail import MailServer, run_worker

DAY = "2026-07-02"
SECRET = "a secret for signing opt-out links"


def customer(
    app: App, ctx: BusinessContext, name: str, *, consent: bool = True, **kw: object
) -> int:
    cid = enroll_customer(app.uow(), ctx=ctx, name=name, **kw).id  # type: ignore[arg-type]
    if consent:
        record_consent(
            app.uow(), ctx=ctx, customer_id=cid, channel="email", purpose="marketing",
            granted=True, source="signed up at the till",
        )  # fmt: skip
    return cid


def worker(db_url: str, server: MailServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    links = {"REGULARS_SECRET_KEY": SECRET, "REGULARS_PUBLIC_URL": "https://crm.cafe.example"}
    return run_worker(db_url, server, monkeypatch, "--today", DAY, **links)


def test_each_occasion_gets_one_personal_email(
    app: App,
    ctx: BusinessContext,
    db_url: str,
    mail_server: MailServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    born = date(1990, 7, 2)
    customer(app, ctx, "Lê Thị Hoa", language="vi", birthday=born, emails=["hoa@example.vn"])
    customer(
        app, ctx, "Somchai Jaidee", language="th", birthday=born, emails=["somchai@example.th"]
    )
    customer(
        app, ctx, "Pedro Ruiz", language="es", birthday=born, emails=["pedro@example.es"],
        consent=False,
    )  # fmt: skip
    customer(app, ctx, "Aino Virtanen", language="fi", birthday=date(1990, 7, 3),
             emails=["aino@example.fi"])  # fmt: skip
    firm = customer(
        app, ctx, "Minh Phát Trading", kind="company", language="vi",
        founded_on=date(2006, 7, 2), emails=["info@minhphat.vn"],
    )  # fmt: skip
    add_contact(app.uow(), ctx=ctx, customer_id=firm, name="Phạm Minh Tuấn", level="owner")

    out = worker(db_url, mail_server, monkeypatch)
    day = out["days"][0]  # type: ignore[index]
    assert (day["greetings"], day["greetings_skipped"]["no_consent"]) == (3, 1)
    assert out["delivery"]["sent"] == 3  # type: ignore[index]
    mails = {str(m["To"]).split("<")[1].rstrip(">"): m for m in mail_server.recorder.messages}
    assert set(mails) == {"hoa@example.vn", "somchai@example.th", "info@minhphat.vn"}
    hoa = mails["hoa@example.vn"]
    assert "sinh nhật" in str(hoa["Subject"]) and "Hoa" in str(hoa["Subject"])
    assert hoa["Content-Language"] == "vi"
    assert hoa["List-Unsubscribe"].startswith("<https://crm.cafe.example/u/v1.")
    assert hoa["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = hoa.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hoa" in text and "https://crm.cafe.example/u/" in text
    assert "คุณ Somchai" in str(mails["somchai@example.th"]["Subject"])
    firm_text = mails["info@minhphat.vn"].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Minh Phát Trading" in firm_text and "20" in firm_text

    again = worker(db_url, mail_server, monkeypatch)
    assert again["days"][0]["greetings"] == 0  # type: ignore[index]
    assert again["delivery"]["sent"] == 0 and len(mail_server.recorder.messages) == 3  # type: ignore[index]


def test_the_marketing_cap_holds(app: App, ctx: BusinessContext) -> None:
    hoa = customer(app, ctx, "Lê Thị Hoa", language="vi", birthday=date(1990, 7, 2),
                   emails=["hoa@example.vn"])  # fmt: skip
    setup = MailSetup("hello@cafe.example", SECRET, "https://crm.cafe.example")
    recent = datetime(2026, 6, 20, tzinfo=UTC)
    with app.uow() as uow:  # two offers this month already
        for n in range(2):
            enqueue(
                uow.session, ctx,
                Envelope(kind="announcement", purpose="marketing", channel=Channel.EMAIL,
                         recipient="hoa@example.vn", language="vi", subject=f"Offer {n}",
                         text="…", customer_id=hoa),
                now=recent + timedelta(days=n),
            )  # fmt: skip
    run = greet_occasions(app.uow(), ctx=ctx, day=date(2026, 7, 2), setup=setup)
    assert (run.queued, run.capped) == (0, 1)
    later = greet_occasions(app.uow(), ctx=ctx, day=date(2027, 7, 2), setup=setup)
    assert later.queued == 1  # a year on, the cap has room again


def test_no_greetings_without_the_link_settings(app: App, ctx: BusinessContext) -> None:
    customer(app, ctx, "Lê Thị Hoa", birthday=date(1990, 7, 2), emails=["hoa@example.vn"])
    run = greet_occasions(
        app.uow(), ctx=ctx, day=date(2026, 7, 2), setup=MailSetup("a@b.example", None, None)
    )
    assert run.queued == 0 and "REGULARS_PUBLIC_URL" in (run.not_ready or "")
