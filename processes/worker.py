"""The timer worker: each due instance in its own transaction, so one failure stops nothing else."""
from __future__ import annotations

import logging
import threading
import uuid

from sqlalchemy.orm import Session, sessionmaker

from processes.mailer import send_pending
from processes.rendering import render_pending
from processes.usecases import timers
from processes.usecases.context import Ctx, Services
from processes.usecases.errors import DomainError
from storage.db import transaction
from storage.models import utcnow

log = logging.getLogger("kelisim.worker")


def tick(factory: sessionmaker[Session], services: Services) -> int:
    """Fire every due timer once; return how many instances were advanced."""
    now = utcnow()
    with transaction(factory) as session:
        ids = timers.due_instance_ids(session, now)
    done = 0
    for instance_id in ids:
        try:
            with transaction(factory) as session:
                ctx = Ctx(session=session, services=services, request_id=f"timer-{uuid.uuid4().hex[:12]}")
                if timers.fire_timers(ctx, instance_id):
                    done += 1
        except DomainError as exc:
            log.warning("instance %s: timers not fired: %s", instance_id, exc)
        except Exception:  # keep the worker alive; the instance is retried next tick
            log.exception("instance %s: timer processing failed", instance_id)
    render_pending(factory, services)  # documents whose rendering was interrupted
    send_pending(factory, services.settings.smtp)
    return done


def run_forever(factory: sessionmaker[Session], services: Services, interval: float,
                stop: threading.Event) -> None:
    """Tick every `interval` seconds until `stop` is set."""
    log.info("timer worker started (every %.0f s)", interval)
    while not stop.is_set():
        try:
            tick(factory, services)
        except Exception:
            log.exception("timer tick failed")
        stop.wait(interval)
