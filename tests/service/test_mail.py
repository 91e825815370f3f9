"""E-mail through a real local SMTP server: written with its cause, sent by the worker after commit."""
from __future__ import annotations

import socket
from dataclasses import replace
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from processes.mailer import MAX_ATTEMPTS, send_pending
from processes.usecases.context import SmtpSettings
from processes.worker import tick
from storage import audit
from storage.models import AuditEvent, OutboxMail
from tests.conftest import ROOT
from tests.service.test_speech_clearance import start_and_submit


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def with_mail(services, port):
    services.settings = replace(services.settings, smtp=SmtpSettings(host="127.0.0.1", port=port,
                                                                     sender="kelisim@kineu.test"),
                                translations_dir=ROOT / "web" / "translations")


def test_new_task_mail_reaches_the_approver(act, factory, services, smtp_server):
    inbox, port = smtp_server
    with_mail(services, port)
    iid = start_and_submit(act)
    with factory() as s:
        queued = s.execute(select(OutboxMail)).scalars().all()
    assert [m.recipient for m in queued] == ["vr.finance@kineu.example"] and queued[0].status == "pending"
    tick(factory, services)  # the worker sends after the commit
    (recipients, message), = inbox.messages
    assert recipients == ["vr.finance@kineu.example"]
    body = message.get_payload(decode=True).decode("utf-8")
    assert "Цифровая трансформация университета" in body and f"/instances/{iid}" in body
    assert str(make_header(decode_header(message["Subject"]))).startswith("Kelisim")
    with factory() as s:
        assert s.execute(select(OutboxMail.status)).scalar_one() == "sent"
        assert s.execute(select(AuditEvent.action).where(AuditEvent.action == "mail_sent")).scalar_one()
        assert audit.verify(s).ok
    assert send_pending(factory, services.settings.smtp) == 0  # sent once only


def test_unreachable_server_retries_then_gives_up(act, factory, services):
    with_mail(services, free_port())  # nothing listens there
    start_and_submit(act)
    for _ in range(MAX_ATTEMPTS):
        assert send_pending(factory, services.settings.smtp) == 0
    with factory() as s:
        mail = s.execute(select(OutboxMail)).scalar_one()
        assert (mail.status, mail.attempts) == ("failed", MAX_ATTEMPTS) and "connect" in mail.last_error


def test_no_mail_without_smtp(act, factory):
    start_and_submit(act)
    with factory() as s:
        assert s.execute(select(OutboxMail)).scalars().all() == []
