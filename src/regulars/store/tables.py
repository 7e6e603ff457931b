"""The schema. Every row belongs to one business (tenant_id) from day one.

Amounts are integer minor units beside a currency column (never floats); times are UTC.
Change this file, then `make migration` regenerates the initial migration (until release).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from regulars.store.types import Quantity, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _tenant(index: bool = True) -> Mapped[int]:
    """The owning business. Rows looked up through their parent (a customer's phones, an
    order's lines) get no tenant-only index: it would only cost writes, and SQLite's planner,
    without statistics, may pick it over the parent's index and scan a whole business."""
    return mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=index)


class Business(Base):
    """A tenant: one shop, salon, wholesaler… with its own customers, staff and settings."""

    __tablename__ = "businesses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    default_region: Mapped[str] = mapped_column(String(2), default="US")  # phone parsing
    default_currency: Mapped[str] = mapped_column(String(3), default="USD")
    default_language: Mapped[str] = mapped_column(String(35), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    name: Mapped[str] = mapped_column(String(200))


class StaffUser(Base):
    """A person of the business (manager, cashier…); customers' responsible manager is one."""

    __tablename__ = "staff_users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="manager")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Web login (argon2 hash; None = cannot log in), lockout after failed attempts.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    grants: Mapped[list[str] | None] = mapped_column(JSON)  # rights beyond the role


class Customer(Base):
    """A person or a company that buys; the heart of the dossier."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_customers_tenant_name_key", "tenant_id", "name_key"),
        Index("ix_customers_tenant_manager", "tenant_id", "manager_id"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    external_id: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # CustomerKind
    display_name: Mapped[str] = mapped_column(String(300))
    family_name: Mapped[str | None] = mapped_column(String(150))
    given_name: Mapped[str | None] = mapped_column(String(150))
    middle_name: Mapped[str | None] = mapped_column(String(150))
    patronymic: Mapped[str | None] = mapped_column(String(150))
    legal_name: Mapped[str | None] = mapped_column(String(300))  # companies
    name_key: Mapped[str] = mapped_column(String(300))  # folded, token-sorted: search + duplicates
    language: Mapped[str | None] = mapped_column(String(35))  # BCP 47
    birthday: Mapped[date | None] = mapped_column(Date)
    founded_on: Mapped[date | None] = mapped_column(Date)  # company birthday
    first_deal_on: Mapped[date | None] = mapped_column(Date)  # derived from first order...
    first_deal_overridden: Mapped[bool] = mapped_column(Boolean, default=False)  # ...unless set
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    potential: Mapped[str | None] = mapped_column(String(10))  # Potential
    region: Mapped[str | None] = mapped_column(String(100))
    income_band: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | merged | erased
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    import_hash: Mapped[str | None] = mapped_column(String(32))
    import_batch_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Contact(Base):
    """A person inside a company customer, at some level, with a role in buying and a stance."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = _tenant(index=False)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str] = mapped_column(String(300))
    family_name: Mapped[str | None] = mapped_column(String(150))
    given_name: Mapped[str | None] = mapped_column(String(150))
    patronymic: Mapped[str | None] = mapped_column(String(150))
    level: Mapped[str] = mapped_column(String(20))  # ContactLevel
    job_title: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    buying_role: Mapped[str | None] = mapped_column(String(20))  # BuyingRole
    stance: Mapped[str | None] = mapped_column(String(10))  # Stance
    birthday: Mapped[date | None] = mapped_column(Date)
    language: Mapped[str | None] = mapped_column(String(35))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Phone(Base):
    """E.164 numbers of a customer, or of one of its contacts when contact_id is set."""

    __tablename__ = "phones"
    __table_args__ = (Index("ix_phones_tenant_e164", "tenant_id", "e164"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = _tenant(index=False)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    e164: Mapped[str] = mapped_column(String(20))
    label: Mapped[str | None] = mapped_column(String(30))  # mobile, work, home…
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)


class Email(Base):
    __tablename__ = "emails"
    __table_args__ = (Index("ix_emails_tenant_address", "tenant_id", "address"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = _tenant(index=False)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320))  # normalised (domain lower-cased)
    label: Mapped[str | None] = mapped_column(String(30))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)


class Address(Base):
    __tablename__ = "addresses"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = _tenant(index=False)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str | None] = mapped_column(String(30))  # billing, delivery, office…
    line1: Mapped[str] = mapped_column(String(300))
    line2: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2


class CustomerTag(Base):
    """Free tags and interests (hobbies, food they like): kind is 'tag' or 'interest'."""

    __tablename__ = "customer_tags"
    __table_args__ = (Index("ix_customer_tags_tenant_value", "tenant_id", "kind", "value"),)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(100), primary_key=True)
    tenant_id: Mapped[int] = _tenant(index=False)


class Note(Base):
    """The dossier: timestamped notes with their author."""

    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = _tenant(index=False)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    body: Mapped[str] = mapped_column(Text)
    # note, feedback or suggestion (domain.customers.NOTE_KINDS): what the customer told us
    # counts towards their loyalty score.
    kind: Mapped[str] = mapped_column(String(16), default="note", server_default="note")


class Consent(Base):
    """Append-only consent history; the latest row per (customer, channel, purpose) is in force."""

    __tablename__ = "consents"
    __table_args__ = (
        Index("ix_consents_lookup", "tenant_id", "customer_id", "channel", "purpose"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = _tenant(index=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))  # ConsentChannel
    purpose: Mapped[str] = mapped_column(String(10))  # ConsentPurpose
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(100))  # web form, till, import, phone call…
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class CustomerMerge(Base):
    """Why and how two customers became one, so the merge can be explained later."""

    __tablename__ = "customer_merges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    survivor_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    merged_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    merged_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)  # what moved, which fields were kept


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("tenant_id", "sku"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(150))
    unit_cost_minor: Mapped[int | None] = mapped_column(BigInteger)  # for margins
    cost_currency: Mapped[str | None] = mapped_column(String(3))


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_orders_tenant_customer_placed", "tenant_id", "customer_id", "placed_at"),
        Index("ix_orders_tenant_status_changed", "tenant_id", "status", "status_changed_at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = _tenant(index=False)
    external_id: Mapped[str | None] = mapped_column(String(100))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))  # OrderStatus
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    store: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str | None] = mapped_column(String(30))  # store, web, phone, marketplace…
    import_hash: Mapped[str | None] = mapped_column(String(32))
    import_batch_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OrderLine(Base):
    __tablename__ = "order_lines"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = _tenant(index=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    line_total_minor: Mapped[int] = mapped_column(BigInteger)


class OrderStatusChange(Base):
    """Every stage an order went through, with time and where the goods are."""

    __tablename__ = "order_status_changes"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = _tenant(index=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(300))
    by_user: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class ImportBatch(Base):
    """One run of `regulars import`: tells 'seen in this file' from 'seen before'."""

    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
