"""row-level security on PostgreSQL

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

from regulars.store import rls

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tenant tables of this revision, written out so a later migration's new table cannot
# change what this one did (a test checks every tenant table of the models is covered).
TABLES = [
    "addresses",
    "analytics_customer_scores",
    "analytics_key_account_flags",
    "analytics_segment_playbooks",
    "api_idempotency",
    "api_keys",
    "audit_log",
    "campaign_members",
    "campaigns",
    "consents",
    "contacts",
    "customer_merges",
    "customer_tags",
    "customers",
    "departments",
    "emails",
    "import_batches",
    "loyalty_accounts",
    "loyalty_balances",
    "loyalty_cards",
    "loyalty_entries",
    "loyalty_lot_uses",
    "loyalty_lots",
    "loyalty_members",
    "loyalty_postings",
    "loyalty_programs",
    "loyalty_rebate_schemes",
    "loyalty_rebate_statements",
    "loyalty_referrals",
    "loyalty_rewards",
    "loyalty_tier_changes",
    "loyalty_tier_reviews",
    "loyalty_voucher_uses",
    "loyalty_vouchers",
    "notes",
    "order_lines",
    "order_status_changes",
    "orders",
    "outbox_messages",
    "phones",
    "products",
    "staff_users",
    "web_sessions",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        rls.enable(op.get_bind(), TABLES)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        rls.disable(op.get_bind(), TABLES)
