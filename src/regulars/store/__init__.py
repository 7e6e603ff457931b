"""Storage: SQLAlchemy tables, engine, unit of work, repositories and Alembic migrations.

Importing the package registers every table module on `Base.metadata`, so migrations, schema
checks and bulk loaders always see the whole schema.
"""

from regulars.store import (
    analytics_tables,
    api_tables,
    audit_tables,
    campaign_tables,
    loyalty_offer_tables,
    loyalty_tables,
    message_tables,
    replay_tables,
    tables,
    web_tables,
)

__all__ = [
    "analytics_tables",
    "api_tables",
    "audit_tables",
    "campaign_tables",
    "loyalty_offer_tables",
    "loyalty_tables",
    "message_tables",
    "replay_tables",
    "tables",
    "web_tables",
]
