"""Today's occasions in a business, on SQLite and PostgreSQL: birthdays of people and of
contact persons, founding days, first-deal anniversaries; erased customers are left alone."""

from __future__ import annotations

from datetime import date

from regulars.bootstrap import App
from regulars.domain.occasions import Occasion, OccasionKind
from regulars.services.contacts import add_contact
from regulars.services.context import BusinessContext
from regulars.services.customers import enroll_customer
from regulars.services.occasions import todays_occasions
from regulars.services.privacy.erasure import erase_customer

K = OccasionKind


def test_whose_day_it_is(app: App, ctx: BusinessContext) -> None:
    def person(name: str, birthday: date | None, first_deal: date | None = None) -> int:
        return enroll_customer(
            app.uow(), ctx=ctx, name=name, birthday=birthday, first_deal_on=first_deal
        ).id

    hoa = person("Lê Thị Hoa", date(1990, 7, 2))
    person("Trần Văn Nam", date(1990, 7, 3))
    loyal = person("Somchai Jaidee", None, first_deal=date(2019, 7, 2))
    leap = person("Aino Virtanen", date(2000, 2, 29))
    gone = person("Pedro Ruiz", date(1980, 7, 2))
    firm = enroll_customer(
        app.uow(), ctx=ctx, kind="company", name="Minh Phát", founded_on=date(2006, 7, 2)
    ).id
    boss = add_contact(
        app.uow(), ctx=ctx, customer_id=firm, name="Phạm Minh Tuấn", birthday=date(1975, 7, 2)
    ).id
    erase_customer(app.uow(), ctx, gone, "asked to be forgotten")

    assert todays_occasions(app.uow(), ctx=ctx, today=date(2026, 7, 2)) == [
        Occasion(K.BIRTHDAY, hoa, None, 36),
        Occasion(K.FIRST_DEAL_ANNIVERSARY, loyal, None, 7),
        Occasion(K.COMPANY_ANNIVERSARY, firm, None, 20),
        Occasion(K.BIRTHDAY, firm, boss, 51),
    ]
    assert todays_occasions(app.uow(), ctx=ctx, today=date(2027, 2, 28)) == [
        Occasion(K.BIRTHDAY, leap, None, 27)
    ]
    assert todays_occasions(app.uow(), ctx=ctx, today=date(2028, 2, 28)) == []
