"""Send what the outbox holds, after the transactions that wrote it committed (the worker calls this)."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, sessionmaker

from processes.usecases.context import SmtpSettings
from storage import audit
from storage.blobs import BlobStore
from storage.db import transaction
from storage.models import Document, OutboxMail, utcnow

log = logging.getLogger("kelisim.mail")
MAX_ATTEMPTS = 5


def send_pending(factory: sessionmaker[Session], smtp: SmtpSettings | None, blobs: BlobStore | None = None,
                 limit: int = 50) -> int:
    """Send pending e-mails over one SMTP connection; return how many were delivered.

    An e-mail that carries an issued document (a letter) waits until the document's PDF is rendered;
    without a blob store to read the PDF from, such e-mails stay pending."""
    if smtp is None:
        return 0
    with transaction(factory) as session:
        ready: ColumnElement[bool] = OutboxMail.document_id.is_(None)
        if blobs is not None:
            ready = or_(ready, Document.sha256.is_not(None))
        rows = session.execute(select(OutboxMail, Document.sha256, Document.reg_number)
                               .outerjoin(Document, OutboxMail.document_id == Document.id)
                               .where(OutboxMail.status == "pending", ready)
                               .order_by(OutboxMail.id).limit(limit)).all()
        session.expunge_all()
    pending = [mail for mail, _, _ in rows]
    attachments = {mail.id: (sha, number) for mail, sha, number in rows if sha is not None}
    if not pending:
        return 0
    try:
        client = _connect(smtp)
    except (OSError, smtplib.SMTPException) as exc:
        for mail in pending:
            _record(factory, mail.id, error=f"connect: {exc}")
        return 0
    sent = 0
    with client:
        for mail in pending:
            try:
                attachment = None
                if mail.id in attachments:
                    sha, number = attachments[mail.id]
                    assert blobs is not None  # mails with a document are selected only with a blob store
                    with blobs.open(sha) as stream:
                        attachment = (f"{number}.pdf", stream.read())
                client.send_message(_message(smtp, mail, attachment))
            except (OSError, smtplib.SMTPException) as exc:
                _record(factory, mail.id, error=str(exc))
                continue
            _record(factory, mail.id, error=None)
            sent += 1
    return sent


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    if smtp.starttls:
        client.starttls()
    if smtp.username:
        client.login(smtp.username, smtp.password or "")
    return client


def _message(smtp: SmtpSettings, mail: OutboxMail, attachment: tuple[str, bytes] | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = smtp.sender, mail.recipient, mail.subject
    message["Message-ID"] = f"<kelisim-mail-{mail.id}@{smtp.sender.rsplit('@', 1)[-1]}>"
    message.set_content(mail.body)
    if attachment is not None:
        name, data = attachment
        message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return message


def _record(factory: sessionmaker[Session], mail_id: int, error: str | None) -> None:
    """Mark one e-mail sent, or count a failed attempt (failed for good after MAX_ATTEMPTS)."""
    with transaction(factory) as session:
        mail = session.execute(select(OutboxMail).where(OutboxMail.id == mail_id).with_for_update()).scalar_one()
        if mail.status != "pending":
            return
        mail.attempts += 1
        if error is None:
            mail.status, mail.sent_at, mail.last_error = "sent", utcnow(), None
        else:
            mail.last_error = error[:500]
            mail.status = "failed" if mail.attempts >= MAX_ATTEMPTS else "pending"
            log.warning("mail %s to %s not sent: %s", mail.id, mail.recipient, error)
        doc = session.get(Document, mail.document_id) if mail.document_id else None
        data = {"to": mail.recipient, "subject": mail.subject, "attempts": mail.attempts, "error": mail.last_error}
        if doc is not None:
            data.update(attachment=doc.reg_number, pdf_sha256=doc.sha256)
        audit.append(session, audit.Actor.system(), "mail_sent" if error is None else "mail_failed",
                     instance_id=doc.instance_id if doc else None, object=f"mail:{mail.id}", data=data)
