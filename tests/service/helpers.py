"""What the service tests share: a submitted speech clearance, a user's task in an instance, and mail settings
for a local SMTP server."""
from __future__ import annotations

import socket
from dataclasses import replace
from email import message_from_bytes

import processes.speech_clearance.kind  # noqa: F401 - registers the process kind
from processes.usecases import instances, queries
from processes.usecases.context import SmtpSettings
from storage.models import InboxTask, Instance
from tests.conftest import ROOT
from tests.helpers import submission


def start_and_submit(act, username="employee", **data):
    inst = act(username, instances.start_instance, "speech_clearance")
    task = act(username, lambda c: instances.ready_tasks(c, c.session.get(Instance, inst.id))[0])
    act(username, instances.complete_task, task.id, submission(**data))
    return inst.id


def my_task(act, username, instance_id) -> InboxTask:
    rows = act(username, lambda c: [t for t in queries.inbox(c) if t.instance_id == instance_id])
    assert len(rows) == 1, rows
    return rows[0]


def load(factory, instance_id) -> Instance:
    with factory() as s:
        return s.get(Instance, instance_id)


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


def with_mail(services, port):
    services.settings = replace(services.settings, smtp=SmtpSettings(host="127.0.0.1", port=port,
                                                                     sender="kelisim@kineu.test"),
                                translations_dir=ROOT / "web" / "translations")
