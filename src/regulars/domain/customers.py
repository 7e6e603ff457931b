"""The vocabulary of the customer base: kinds, contact levels, consent, classification."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class CustomerKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"


class ContactLevel(StrEnum):
    """How high in a company a contact sits (DOMAIN §1: make friends at many levels)."""

    OWNER = "owner"
    CEO = "ceo"
    TOP_MANAGER = "top_manager"
    MIDDLE_MANAGER = "middle_manager"
    ACCOUNTANT = "accountant"
    STAFF = "staff"


class BuyingRole(StrEnum):
    DECISION_MAKER = "decision_maker"
    FINANCE = "finance"
    TECHNICAL = "technical"
    USER = "user"
    OTHER = "other"


class Stance(StrEnum):
    SUPPORTER = "supporter"
    NEUTRAL = "neutral"
    OPPONENT = "opponent"


class Potential(StrEnum):
    """DOMAIN §1 classification by potential."""

    HIGH = "high"
    CURRENT = "current"
    FORMER = "former"


class ConsentChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"  # SMS and messengers (Zalo, LINE, WhatsApp)
    PHONE = "phone"
    POST = "post"


class ConsentPurpose(StrEnum):
    SERVICE = "service"
    MARKETING = "marketing"


class StaffRole(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    CASHIER = "cashier"
    ANALYST = "analyst"
    PARTNER = "partner"


SHIPPED_LANGUAGES = ("en", "vi", "th", "es", "fi")

# Dossier notes: a plain note by staff, or something the customer gave us — feedback or a
# suggestion — which the documents count as a sign of loyalty.
NOTE_KINDS = ("note", "feedback", "suggestion")


class AgeBand(StrEnum):
    """DOMAIN §1 classification by age: child, youth, middle-aged, senior."""

    CHILD = "child"
    YOUTH = "youth"
    MIDDLE_AGED = "middle_aged"
    SENIOR = "senior"


def age_on(birthday: date, today: date) -> int:
    years = today.year - birthday.year
    if (today.month, today.day) < (birthday.month, birthday.day):
        years -= 1
    return years


def age_band(birthday: date | None, today: date) -> AgeBand | None:
    """Bands: under 15 child, 15–29 youth, 30–59 middle-aged, 60+ senior."""
    if birthday is None:
        return None
    age = age_on(birthday, today)
    if age < 15:
        return AgeBand.CHILD
    if age < 30:
        return AgeBand.YOUTH
    if age < 60:
        return AgeBand.MIDDLE_AGED
    return AgeBand.SENIOR
