"""Settings from the environment (REGULARS_*) and the command line; read only by bootstrap/cli."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///regulars.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGULARS_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    business: str = "default"  # slug of the business the CLI works on
    default_region: str = "US"  # for phone numbers written without a country code
    default_currency: str = "USD"
    default_language: str = "en"
    timezone: str = "UTC"
    # Erase customers with no activity for this many years (`customers erase-inactive`);
    # None keeps them forever.
    retention_years: int | None = None
    # Outgoing e-mail (messaging): SMTP server, login and TLS mode (none | starttls | ssl).
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: Literal["none", "starttls", "ssl"] = "none"
    mail_from: str = "regulars@localhost"  # may carry a name: "Café Lumi <hello@lumi.fi>"
    # Webhooks are signed with this secret (HMAC-SHA256); without it none are sent.
    webhook_secret: str | None = None
    # Signs the links in messages (opt-out); keep it secret and stable: changing it voids them.
    secret_key: str | None = None
    # Where customers reach this server (https): the base of the links in messages.
    public_url: str | None = None
