"""What every use case receives: the session, the acting user, the clock and the services."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from forms.validate import N_
from processes.engine import ProcessEngine
from processes.signing import SignerHandle, from_environment
from processes.usecases.errors import Unauthenticated
from storage.audit import Actor
from storage.audit_log import CheckpointSettings
from storage.blobs import BlobStore
from storage.models import User, utcnow


@dataclass(frozen=True)
class SmtpSettings:
    """Where e-mail goes; mail is off when the application has none."""

    host: str
    port: int = 25
    sender: str = "kelisim@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0


@dataclass(frozen=True)
class Settings:
    """Limits and knobs the application passes down (read from configuration by the caller)."""

    base_url: str = "http://127.0.0.1:5000"
    max_file_size: int = 20 * 1024 * 1024
    max_video_size: int = 200 * 1024 * 1024
    late_days: int = 5  # §7.4: material reaches MCD at least this many days before publication
    translations_dir: Path | None = None
    smtp: SmtpSettings | None = None
    checkpoints: CheckpointSettings | None = None  # the provable audit log's key and witnesses (issue 17)


@dataclass
class Services:
    """Long-lived collaborators shared by all requests."""

    engine: ProcessEngine
    blobs: BlobStore
    settings: Settings = field(default_factory=Settings)
    # the key issued PDFs are signed with (issue 17), loaded on first use; `web.runtime` gives the configured one
    signer: SignerHandle = field(default_factory=from_environment)


@dataclass
class Ctx:
    """One unit of work: a session inside an open transaction, and who acts."""

    session: Session
    services: Services
    user: User | None = None
    request_id: str | None = None
    clock: Callable[[], datetime] = utcnow

    @property
    def actor(self) -> Actor:
        if self.user is None:
            return Actor.system()
        return Actor(self.user.username, ",".join(sorted(self.user.role_names)))

    @property
    def me(self) -> User:
        """The acting user, for use cases only a signed-in user reaches (the web layer asks for log-in
        first); raises Unauthenticated (401) when there is none, e.g. in the timer worker."""
        if self.user is None:
            raise Unauthenticated(N_("Please log in."))
        return self.user

    def now(self) -> datetime:
        return self.clock()
