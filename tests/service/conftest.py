"""Fixtures of the service tests: a real local SMTP server."""
from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from tests.service.helpers import Inbox, free_port


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()
