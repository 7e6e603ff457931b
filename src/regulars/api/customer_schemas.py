"""Request bodies of the customer resources. Unknown fields are refused (a typo must not be
silently dropped); lengths are bounded so a body cannot grow without limit; the services
validate the rest (phones, e-mails, languages, dates) exactly as for the command line."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field

from regulars.api.bodies import Body
from regulars.services.customer_views import CustomerSummary

Name = Annotated[str, Field(max_length=200)]
Short = Annotated[str, Field(max_length=100)]
Values = Annotated[list[Annotated[str, Field(max_length=320)]], Field(max_length=50)]


class AddressBody(Body):
    line1: Name
    line2: Name | None = None
    city: Short | None = None
    region: Short | None = None
    postal_code: Annotated[str, Field(max_length=20)] | None = None
    country: Annotated[str, Field(min_length=2, max_length=2)] | None = None
    label: Short | None = None


class CustomerIn(Body):
    kind: Literal["person", "company"] = "person"
    name: Name | None = Field(default=None, description="full name; split by the language's custom")
    family_name: Name | None = None
    given_name: Name | None = None
    middle_name: Name | None = None
    patronymic: Name | None = None
    legal_name: Name | None = None
    external_id: Short | None = None
    phones: Values = Field(default_factory=list)
    emails: Values = Field(default_factory=list)
    addresses: Annotated[list[AddressBody], Field(max_length=20)] = Field(default_factory=list)
    language: Annotated[str, Field(max_length=35)] | None = None
    birthday: date | None = None
    founded_on: date | None = None
    first_deal_on: date | None = None
    manager: Annotated[str, Field(max_length=320)] | None = Field(
        default=None, description="the responsible manager's staff e-mail"
    )
    department: Name | None = None
    tags: Values = Field(default_factory=list)
    interests: Values = Field(default_factory=list)
    potential: Short | None = None
    region: Short | None = None
    income_band: Short | None = None


class CustomerPatch(Body):
    """Only the fields sent change; `null` clears a field. Lists are changed by add_/remove_."""

    name: Name | None = None
    family_name: Name | None = None
    given_name: Name | None = None
    middle_name: Name | None = None
    patronymic: Name | None = None
    legal_name: Name | None = None
    external_id: Short | None = None
    language: Annotated[str, Field(max_length=35)] | None = None
    birthday: date | None = None
    founded_on: date | None = None
    first_deal_on: date | None = None
    manager: Annotated[str, Field(max_length=320)] | None = None
    department: Name | None = None
    potential: Short | None = None
    region: Short | None = None
    income_band: Short | None = None
    add_phones: Values = Field(default_factory=list)
    remove_phones: Values = Field(default_factory=list)
    add_emails: Values = Field(default_factory=list)
    remove_emails: Values = Field(default_factory=list)
    add_tags: Values = Field(default_factory=list)
    remove_tags: Values = Field(default_factory=list)
    add_interests: Values = Field(default_factory=list)
    remove_interests: Values = Field(default_factory=list)
    add_addresses: Annotated[list[AddressBody], Field(max_length=20)] = Field(default_factory=list)


class NoteIn(Body):
    body: Annotated[str, Field(min_length=1, max_length=10_000)]
    kind: Literal["note", "feedback", "suggestion"] = "note"
    author: Annotated[str, Field(max_length=320)] | None = None


class ContactIn(Body):
    name: Name | None = None
    family_name: Name | None = None
    given_name: Name | None = None
    patronymic: Name | None = None
    level: Short = "staff"
    job_title: Name | None = None
    department: Name | None = None
    buying_role: Short | None = None
    stance: Short | None = None
    phones: Values = Field(default_factory=list)
    emails: Values = Field(default_factory=list)
    birthday: date | None = None
    language: Annotated[str, Field(max_length=35)] | None = None


class ConsentIn(Body):
    channel: Short
    purpose: Short
    granted: bool
    source: Annotated[str, Field(min_length=1, max_length=100)]
    at: datetime | None = Field(default=None, description="when it was given (with a time zone)")
    contact_id: int | None = None


class CustomerPage(Body):
    items: list[CustomerSummary]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )
