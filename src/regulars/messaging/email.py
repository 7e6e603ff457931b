"""E-mail: build a multipart message and send it over SMTP, one connection per batch.

Each message gets its own Message-ID on the sender's domain and, when it is marketing, the
RFC 2369/8058 headers that let mail clients offer a one-click unsubscribe.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Literal

from regulars.domain.outbox import PermanentFailure, TemporaryFailure
from regulars.messaging.rendering import RenderedMessage

TlsMode = Literal["none", "starttls", "ssl"]


def _address(addr: str, name: str | None) -> Address:
    """A header address; the display name is RFC 2047-encoded when it is not ASCII."""
    local, _, domain = addr.rpartition("@")
    if not local or not domain:
        raise ValueError(f"not an e-mail address: {addr!r}")
    return Address(display_name=name or "", username=local, domain=domain)


def build_email(
    message: RenderedMessage,
    *,
    sender: str,
    recipient: str,
    sender_name: str | None = None,
    recipient_name: str | None = None,
    unsubscribe_url: str | None = None,
    unsubscribe_mailto: str | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """Text + HTML alternative parts with Date, Message-ID and, for marketing, List-Unsubscribe.

    `unsubscribe_url` must be an https URL that accepts a POST "List-Unsubscribe=One-Click"
    (RFC 8058); the mailto is the fallback for clients that only send mail.
    """
    msg = EmailMessage()
    msg["Subject"] = message.subject
    msg["From"] = _address(sender, sender_name)
    msg["To"] = _address(recipient, recipient_name)
    msg["Date"] = format_datetime(now or datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    if message.kind.marketing:
        if not unsubscribe_url or not unsubscribe_url.startswith("https://"):
            raise ValueError("a marketing e-mail needs an https unsubscribe URL (RFC 8058)")
        targets = [f"<{unsubscribe_url}>"]
        if unsubscribe_mailto:
            targets.append(f"<mailto:{unsubscribe_mailto.removeprefix('mailto:')}>")
        msg["List-Unsubscribe"] = ", ".join(targets)
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(message.text)
    msg.add_alternative(message.html, subtype="html")
    msg["Content-Language"] = message.language  # after the content: set_content clears Content-*
    return msg


def _classify(error: Exception) -> Exception:
    """Map smtplib's errors onto retry (temporary) or dead-letter (permanent)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        detail = "; ".join(
            f"{r}: {c} {m.decode(errors='replace')}" for r, (c, m) in error.recipients.items()
        )
        if codes and all(c >= 500 for c in codes):
            return PermanentFailure(f"recipient refused: {detail}")
        return TemporaryFailure(f"recipient deferred: {detail}")
    if isinstance(error, smtplib.SMTPAuthenticationError):
        # A wrong password is fixed in the settings, not by the recipient: keep retrying.
        return TemporaryFailure(f"SMTP login refused: {error.smtp_code}")
    if isinstance(error, smtplib.SMTPResponseException):
        text = (
            error.smtp_error.decode(errors="replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        reason = f"SMTP {error.smtp_code} {text}"
        return PermanentFailure(reason) if error.smtp_code >= 500 else TemporaryFailure(reason)
    return TemporaryFailure(f"SMTP server unreachable: {type(error).__name__}: {error}")


class SmtpSession:
    """An open SMTP connection that sends many messages; reconnects after a drop."""

    def __init__(self, channel: SmtpChannel) -> None:
        self._channel = channel
        self._smtp: smtplib.SMTP | None = None
        self.connections = 0  # how many times we connected (one for a healthy batch)

    def _connect(self) -> smtplib.SMTP:
        c = self._channel
        try:
            smtp: smtplib.SMTP
            if c.tls == "ssl":
                smtp = smtplib.SMTP_SSL(
                    c.host, c.port, timeout=c.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
                if c.tls == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if c.user:
                smtp.login(c.user, c.password or "")
        except (smtplib.SMTPException, OSError) as e:
            raise _classify(e) from e
        self.connections += 1
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as e:
            raise _classify(e) from e  # the connection is still good (smtplib sent RSET)
        except (smtplib.SMTPException, OSError) as e:
            self.close()
            raise _classify(e) from e

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


@dataclass(frozen=True, slots=True)
class SmtpChannel:
    """SMTP settings; `session()` keeps one connection for a batch, `send()` uses its own."""

    host: str
    port: int = 25
    tls: TlsMode = "none"
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @contextmanager
    def session(self) -> Iterator[SmtpSession]:
        s = SmtpSession(self)
        try:
            yield s
        finally:
            s.close()

    def send(self, message: EmailMessage) -> None:
        with self.session() as s:
            s.send(message)


# Headers kept with a queued message, so every retry sends the same Message-ID and opt-out.
KEPT_HEADERS = (
    "From",
    "To",
    "Subject",
    "Message-ID",
    "Content-Language",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)


def kept_headers(msg: EmailMessage) -> dict[str, str]:
    """What the outbox stores of a built message (the bodies are stored apart)."""
    return {k: str(msg[k]) for k in KEPT_HEADERS if msg[k] is not None}


def assemble(
    headers: Mapping[str, str],
    *,
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    html: str | None,
    now: datetime | None = None,
) -> EmailMessage:
    """The e-mail of a queued message at sending time: its kept headers (or the defaults),
    a fresh Date, the text and the HTML alternative."""
    msg = EmailMessage()
    values = {"From": sender, "To": recipient, "Subject": subject, **headers}
    for name in KEPT_HEADERS:
        if values.get(name) and name != "Content-Language":
            msg[name] = values[name]
    if "Message-ID" not in msg:
        msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
    msg["Date"] = format_datetime(now or datetime.now().astimezone())
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    if values.get("Content-Language"):
        msg["Content-Language"] = values["Content-Language"]
    return msg
