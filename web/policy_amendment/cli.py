"""`kelisim policy …`: the Information Policy's text and editions."""
from __future__ import annotations

from pathlib import Path

import click

from processes.policy_amendment import policy
from processes.rendering import render_pending
from processes.usecases.context import Ctx
from storage.db import transaction
from web.runtime import build


@click.group("policy")
def commands() -> None:
    """The Information Policy's text and editions."""


@commands.command("import")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The policy text (default: the Kazakh source text shipped with the policy amendment process).")
def policy_import(path: str | None) -> None:
    """Load the policy text as edition 1, once (nothing happens when an edition exists)."""
    rt = build()
    try:
        with transaction(rt.factory) as session:
            message = policy.import_report(Ctx(session=session, services=rt.services), Path(path) if path else None)
        render_pending(rt.factory, rt.services)
        click.echo(message)
    finally:
        rt.close()

