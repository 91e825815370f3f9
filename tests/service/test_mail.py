"""E-mail through a real local SMTP server: written with its cause, sent by the worker after commit."""
from __future__ import annotations

from email.header import decode_header, make_header

from sqlalchemy import select

from processes.mailer import MAX_ATTEMPTS, send_pending
from processes.worker import tick
from storage import audit
from storage.models import AuditEvent, OutboxMail
from tests.service.helpers import free_port, start_and_submit, with_mail


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
