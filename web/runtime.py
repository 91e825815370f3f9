"""What every entry point needs, built without Flask: configuration, the database, the services.

The web application (``web.create_app``), the ``kelisim`` CLI and the timer worker all start here,
so a CLI command or the worker never builds a Flask application to know the processes.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from processes import catalog, rendering, signing
from processes.engine import ProcessEngine
from processes.usecases import deploy
from processes.usecases.context import Services, Settings, SmtpSettings
from storage import audit_log
from storage.blobs import BlobStore
from storage.db import make_engine, make_sessionmaker, transaction
from web import config as web_config


@dataclass
class Runtime:
    config: dict[str, Any]
    engine: Engine
    factory: sessionmaker[Session]
    services: Services

    def close(self) -> None:
        self.engine.dispose()


def build(overrides: dict[str, Any] | None = None) -> Runtime:
    """Configuration (defaults, environment, overrides), the database and the services; the process
    definitions of every installed process are deployed unless ``AUTO_DEPLOY`` is false."""
    for name in ("weasyprint", "weasyprint.progress"):  # its progress lines drown the application's log
        logging.getLogger(name).setLevel(logging.ERROR)
    config = web_config.from_env(overrides)
    engine = make_engine(config["DATABASE_URL"])
    services = Services(
        engine=ProcessEngine(catalog.folders()),
        blobs=BlobStore(Path(config["DATA_DIR"]) / "blobs"),
        settings=Settings(base_url=config["BASE_URL"], max_file_size=config["MAX_FILE_SIZE"],
                          max_video_size=config["MAX_VIDEO_SIZE"], late_days=config["LATE_DAYS"],
                          translations_dir=Path(config["BABEL_TRANSLATION_DIRECTORIES"]),
                          smtp=smtp_settings(config),
                          checkpoints=audit_log.settings_from(os.environ, Path(config["DATA_DIR"]),
                                                              config["BASE_URL"])),
        signer=signer_handle(config, overrides or {}),
    )
    runtime = Runtime(config=config, engine=engine, factory=make_sessionmaker(engine), services=services)
    rendering.track_issued_documents(runtime.factory)
    if config.get("AUTO_DEPLOY", True):
        with transaction(runtime.factory) as session:
            deploy.deploy(session, services.engine)
    return runtime


def signer_handle(config: dict[str, Any], overrides: dict[str, Any]) -> signing.SignerHandle:
    """The signing key of issued PDFs (issue 17): KELISIM_SIGNING_P12, _PASSWORD, _PASSWORD_FILE and
    KELISIM_TSA_URL, or the same names without KELISIM_ among the overrides (tests); by default the demo key
    under the data directory. Loaded on first use: the server and the worker load it before they start."""
    environ = dict(os.environ)
    for name in signing.VARIABLES:
        if name.removeprefix("KELISIM_") in overrides:
            environ[name] = overrides[name.removeprefix("KELISIM_")] or ""
    return signing.SignerHandle(signing.config_from(environ, Path(config["DATA_DIR"]),
                                                    production=config["ENV_NAME"] != "development"))


def smtp_settings(config: dict[str, Any]) -> SmtpSettings | None:
    """Mail is on when KELISIM_SMTP_HOST is set."""
    if not config.get("SMTP_HOST"):
        return None
    return SmtpSettings(host=config["SMTP_HOST"], port=config["SMTP_PORT"], sender=config["SMTP_FROM"],
                        username=config["SMTP_USER"], password=config["SMTP_PASSWORD"],
                        starttls=config["SMTP_STARTTLS"])
