"""E-mail through a real SMTP server (aiosmtpd) started by the test on a free port."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from regulars.domain.addressing import Addressee
from regulars.domain.messages import MessageKind
from regulars.domain.names import PersonName
from regulars.domain.outbox import PermanentFailure, TemporaryFailure
from regulars.messaging.email import SmtpChannel, build_email
from regulars.messaging.rendering import render
from regulars.messaging.samples import sample_context
from tests.fixtures.mail import MailServer, Recorder, free_port

HOA = Addressee("Nguyễn Thị Hoa", PersonName(family="Nguyễn", middle="Thị", given="Hoa"))


@pytest.fixture
def smtp(mail_server: MailServer) -> tuple[Recorder, SmtpChannel]:
    return mail_server.recorder, SmtpChannel(mail_server.host, mail_server.port, timeout=5)


def _mail(kind: MessageKind, to: str = "hoa@example.vn") -> EmailMessage:
    ctx = sample_context(kind, HOA)
    return build_email(
        render(kind, "vi", ctx),
        sender="hello@cafe.example",
        sender_name="Cà phê Sữa Đá",
        recipient=to,
        recipient_name="Nguyễn Thị Hoa",
        unsubscribe_url=ctx.get("unsubscribe_url", "").replace("http://", "https://") or None,
        unsubscribe_mailto="unsubscribe@cafe.example",
    )


def test_multipart_headers_and_names(smtp: tuple[Recorder, SmtpChannel]) -> None:
    rec, channel = smtp
    channel.send(_mail(MessageKind.BIRTHDAY))
    (got,) = rec.messages
    assert got["To"].addresses[0].display_name == "Nguyễn Thị Hoa"
    assert got["From"].addresses[0].display_name == "Cà phê Sữa Đá"
    assert got["Subject"] == "Chúc mừng sinh nhật Quý khách Hoa!"
    assert got["Message-ID"].endswith("@cafe.example>")
    assert got["Date"]
    assert got["List-Unsubscribe"].strip() == (
        "<https://example.com/u/sample>, <mailto:unsubscribe@cafe.example>"
    )
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got.get_content_type() == "multipart/alternative"
    text = got.get_body(("plain",))
    html = got.get_body(("html",))
    assert text is not None and "Quý khách Hoa" in text.get_content()
    assert html is not None and "Hủy đăng ký" in html.get_content()


def test_service_mail_has_no_unsubscribe_header(smtp: tuple[Recorder, SmtpChannel]) -> None:
    rec, channel = smtp
    channel.send(_mail(MessageKind.ORDER_SHIPPED))
    assert "List-Unsubscribe" not in rec.messages[0]


def test_a_batch_uses_one_connection(smtp: tuple[Recorder, SmtpChannel]) -> None:
    rec, channel = smtp
    mails = [_mail(MessageKind.ORDER_PAID, f"c{i}@example.vn") for i in range(20)]
    assert len({m["Message-ID"] for m in mails}) == 20
    with channel.session() as s:
        for m in mails:
            s.send(m)
    assert s.connections == 1
    assert len(rec.messages) == 20 and len(rec.sessions) == 1


def test_refused_recipient_is_permanent_and_the_batch_goes_on(
    smtp: tuple[Recorder, SmtpChannel],
) -> None:
    rec, channel = smtp
    with channel.session() as s:
        with pytest.raises(PermanentFailure, match="550"):
            s.send(_mail(MessageKind.ORDER_PAID, "nobody@refused.example"))
        s.send(_mail(MessageKind.ORDER_PAID))
    assert len(rec.messages) == 1 and s.connections == 1


def test_server_down_is_temporary() -> None:
    with pytest.raises(TemporaryFailure, match="unreachable"):
        SmtpChannel("127.0.0.1", free_port(), timeout=2).send(_mail(MessageKind.ORDER_PAID))
