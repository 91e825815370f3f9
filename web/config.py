"""Configuration from the environment, with the embedded defaults of docs/API.md."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from processes.university_time import UNIVERSITY_TZ
from storage.db import default_url


def secret_key(data_dir: Path) -> str:
    """Use KELISIM_SECRET_KEY, or a key generated once into the data directory."""
    if os.environ.get("KELISIM_SECRET_KEY"):
        return os.environ["KELISIM_SECRET_KEY"]
    path = data_dir / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip()


def trusted_proxies(raw: str) -> int:
    """How many reverse proxies in front of the application append to X-Forwarded-For (0: none,
    the header is ignored and the client is the connection's peer)."""
    try:
        count = int(raw.strip() or "0")
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(f"KELISIM_TRUSTED_PROXIES must be a whole number of proxies (0 or more), not {raw!r}")
    return count


def from_env(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config: defaults, then environment, then explicit overrides (tests)."""
    overrides = overrides or {}
    data_dir = Path(overrides.get("DATA_DIR") or os.environ.get("KELISIM_DATA_DIR", "instance")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = os.environ.get("KELISIM_ENV", "production")
    config: dict[str, Any] = {
        "DATA_DIR": data_dir,
        "DATABASE_URL": os.environ.get("KELISIM_DATABASE_URL") or default_url(data_dir),
        "SECRET_KEY": overrides.get("SECRET_KEY") or secret_key(data_dir),
        "BASE_URL": os.environ.get("KELISIM_BASE_URL", "http://127.0.0.1:5000"),
        "MAX_FILE_SIZE": int(os.environ.get("KELISIM_MAX_FILE_MB", "20")) * 1024 * 1024,
        "MAX_VIDEO_SIZE": int(os.environ.get("KELISIM_MAX_VIDEO_MB", "200")) * 1024 * 1024,
        "LATE_DAYS": int(os.environ.get("KELISIM_LATE_DAYS", "5")),
        "TOKEN_HOURS": int(os.environ.get("KELISIM_TOKEN_HOURS", "12")),
        "SESSION_IDLE_MINUTES": int(os.environ.get("KELISIM_SESSION_IDLE_MINUTES", "30")),
        "SESSION_ABSOLUTE_HOURS": int(os.environ.get("KELISIM_SESSION_ABSOLUTE_HOURS", "12")),
        "WORKER_INTERVAL": float(os.environ.get("KELISIM_WORKER_INTERVAL", "30")),
        # the worker looks this often (seconds) for documents whose PDF is pending, and renders them
        "RENDER_INTERVAL": float(os.environ.get("KELISIM_RENDER_INTERVAL", "0.5")),
        # the renderer's nice value above the server's (0-19): on a busy machine the requests run first
        "RENDER_NICE": int(os.environ.get("KELISIM_RENDER_NICE", "10")),
        # render issued PDFs inside the request, right after its commit (tests of other behaviour only;
        # by default the worker renders them in the background and the deciding click answers at once)
        "RENDER_INLINE": os.environ.get("KELISIM_RENDER_INLINE") == "1",
        "ENV_NAME": env,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env != "development" and os.environ.get("KELISIM_INSECURE_COOKIES") != "1",
        "SESSION_COOKIE_NAME": "kelisim_session",
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "kk",
        "BABEL_DEFAULT_TIMEZONE": UNIVERSITY_TZ.key,
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "LANGUAGES": ["kk", "ru", "en"],
        "SMTP_HOST": os.environ.get("KELISIM_SMTP_HOST") or None,
        "SMTP_PORT": int(os.environ.get("KELISIM_SMTP_PORT", "25")),
        "SMTP_USER": os.environ.get("KELISIM_SMTP_USER") or None,
        "SMTP_PASSWORD": os.environ.get("KELISIM_SMTP_PASSWORD") or None,
        "SMTP_FROM": os.environ.get("KELISIM_SMTP_FROM", "kelisim@kineu.kz"),
        "SMTP_STARTTLS": os.environ.get("KELISIM_SMTP_STARTTLS") == "1",
        "LOGIN_THROTTLE_PER_PAIR": 5,  # free failures per (username, address), then a growing back-off
        "LOGIN_THROTTLE_PER_ADDR": 30,  # free failures per address, then a growing back-off
        "TRUSTED_PROXIES": trusted_proxies(os.environ.get("KELISIM_TRUSTED_PROXIES", "0")),
    }
    # a form's text field may be larger than Flask's 500 kB default: 200 000 characters of Cyrillic text
    # are 400 kB, and a longer paste must reach the server to be refused with its length, not cut or 413
    config.setdefault("MAX_FORM_MEMORY_SIZE", 4 * 1024 * 1024)
    config.update(overrides)
    if "MAX_CONTENT_LENGTH" not in overrides:  # room for the largest file plus the form around it
        config["MAX_CONTENT_LENGTH"] = max(config["MAX_FILE_SIZE"], config["MAX_VIDEO_SIZE"]) + 1024 * 1024
    return config
