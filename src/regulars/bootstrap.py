"""The one place that reads settings and wires the engine, the schema and the unit of work."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Engine, inspect

from regulars.config import Settings
from regulars.domain.errors import DomainError
from regulars.services.businesses import ensure_business
from regulars.services.context import BusinessContext
from regulars.services.outbox import OpenChannel, Outgoing, Sender
from regulars.store import migrate
from regulars.store.engine import make_engine
from regulars.store.tenancy import act_for
from regulars.store.uow import UnitOfWork


class SchemaOutdated(DomainError):
    code = "schema_outdated"


@dataclass
class App:
    settings: Settings = field(default_factory=Settings)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def upgrade_schema(self) -> None:
        migrate.upgrade(self.engine)

    def ready_schema(self) -> None:
        """A new database gets the schema at once; an older one must be upgraded on purpose."""
        if "alembic_version" not in inspect(self.engine).get_table_names():
            self.upgrade_schema()
        elif not migrate.is_up_to_date(self.engine):
            raise SchemaOutdated(
                "the database schema is older than this program: run `regulars db upgrade`"
            )

    def business(self) -> BusinessContext:
        self.ready_schema()
        s = self.settings
        ctx = ensure_business(
            self.uow(),
            slug=s.business,
            default_region=s.default_region,
            default_currency=s.default_currency,
            default_language=s.default_language,
            timezone=s.timezone,
        )
        act_for(ctx.tenant_id)  # connected as the application role, the CLI sees this business
        return ctx

    def channels(self) -> dict[str, OpenChannel]:
        """The outbox's channels from the settings (e-mail over SMTP); each opens once per
        delivery round, so a round shares one SMTP connection."""
        from regulars.messaging.email import SmtpChannel, assemble  # not at every CLI start

        s = self.settings
        smtp = SmtpChannel(s.smtp_host, s.smtp_port, s.smtp_tls, s.smtp_user, s.smtp_password)

        @contextmanager
        def email() -> Iterator[Sender]:
            with smtp.session() as session:

                def send(m: Outgoing) -> None:
                    session.send(
                        assemble(
                            m.headers or {},
                            sender=s.mail_from,
                            recipient=m.recipient,
                            subject=m.subject,
                            text=m.text,
                            html=m.html,
                        )
                    )

                yield send

        channels: dict[str, OpenChannel] = {"email": email}
        if s.webhook_secret:
            channels["webhook"] = _webhooks(s.webhook_secret)
        return channels

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def _webhooks(secret: str) -> OpenChannel:
    """Signed JSON POSTs; a message's recipient is its URL, one client per URL and batch."""
    from regulars.messaging.webhook import WebhookChannel

    @contextmanager
    def webhook() -> Iterator[Sender]:
        with ExitStack() as stack:
            posts: dict[str, Callable[[Mapping[str, Any]], None]] = {}

            def send(m: Outgoing) -> None:
                post = posts.get(m.recipient)
                if post is None:
                    channel = WebhookChannel(m.recipient, secret)
                    post = posts[m.recipient] = stack.enter_context(channel.session())
                post(m.payload or {"subject": m.subject, "text": m.text})

            yield send

    return webhook


def make_app(database_url: str | None = None) -> App:
    settings = Settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    return App(settings)
