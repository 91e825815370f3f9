"""The production WSGI server: gunicorn, each process with its own application and database pool."""
from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class KelisimServer(BaseApplication):
    """Gunicorn without a config file: the options come from `kelisim serve`."""

    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None and key in self.cfg.settings:
                self.cfg.set(key, value)
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("preload_app", False)  # no connection crosses a fork

    def load(self):
        from web import create_app

        return create_app()


def run(options: dict[str, Any]) -> None:
    """Serve until stopped (SIGINT/SIGTERM)."""
    KelisimServer(options).run()


if __name__ == "__main__":
    import json
    import sys

    run(json.loads(sys.argv[1]))
