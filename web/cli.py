"""The `kelisim` command: migrations, demo data, the server and its timer worker, audit, users."""
from __future__ import annotations

import importlib
import logging
import os
import subprocess
import sys
import threading

import click

from processes import catalog
from storage import accounts, audit
from storage.db import transaction
from web import signing_cli
from web.runtime import Runtime, build


def _rt(**overrides) -> Runtime:
    """Configuration, database and services for a command (no Flask application is built)."""
    rt = build(overrides or None)
    click.get_current_context().call_on_close(rt.close)
    return rt


@click.group()
def main() -> None:
    """Kelisim: the KInEU Information Policy as executable BPMN processes."""
    logging.basicConfig(level=os.environ.get("KELISIM_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # SpiffWorkflow logs every task's change of state at INFO: the engine's own trace, not the operator's news
    logging.getLogger("spiff").setLevel(os.environ.get("KELISIM_ENGINE_LOG_LEVEL", "WARNING"))


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (Alembic) and deploy the process definitions."""
    from storage.db import make_engine
    from storage.migrate import upgrade
    from web import config as web_config

    engine = make_engine(web_config.from_env()["DATABASE_URL"])
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    build().close()  # deploys the BPMN files as new versions where they changed
    click.echo(f"database at head: {engine.url.render_as_string(hide_password=True)}")


@main.command("seed-demo")
def seed_demo() -> None:
    """Create the demo organisation (idempotent), and each process's demo data (e.g. the policy's text)."""
    from processes.rendering import render_pending
    from processes.usecases.context import Ctx
    from processes.usecases.seed import seed_demo as seed

    signing_cli.ensure_demo_keys()  # issued PDFs are signed: the demo key, unless one is there (issue 17)
    rt = _rt()
    with transaction(rt.factory) as session:
        added = seed(session, os.environ.get("KELISIM_DEMO_PASSWORD", "kelisim-demo"))
    click.echo(f"demo organisation ready ({added} accounts added)")
    for kind in catalog.kinds().values():
        with transaction(rt.factory) as session:
            message = kind.seed_demo(Ctx(session=session, services=rt.services))
        render_pending(rt.factory, rt.services)
        if message:
            click.echo(message)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=min(4, os.cpu_count() or 1), show_default=True, type=int,
              help="Server processes (Waitress); each runs --threads request threads.")
@click.option("--threads", default=4, show_default=True, type=int)
@click.option("--read-timeout", default=30, show_default=True, type=click.IntRange(1, 3600),
              help="Close a connection that sends nothing for this many seconds (slow or stalled bodies).")
@click.option("--no-worker", is_flag=True, help="Do not run the timer worker and the document renderer alongside "
              "the server (issued PDFs then wait for a `kelisim worker`).")
def serve(host: str, port: int, workers: int, threads: int, read_timeout: int, no_worker: bool) -> None:
    """Serve with a production WSGI server (Waitress: a request reaches a thread only once its body has
    arrived) and, unless --no-worker, the timer worker and the renderer of issued documents."""
    import json
    import signal

    from processes.worker import run_forever, run_renderer

    rt = _rt()  # check the schema and deploy the processes once, before the server starts
    _require_signer(rt)
    options = {"host": host, "port": port, "workers": workers, "threads": threads, "channel_timeout": read_timeout,
               "access_log": bool(os.environ.get("KELISIM_ACCESS_LOG"))}
    server = subprocess.Popen([sys.executable, "-m", "web.server", json.dumps(options)])
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    stop = threading.Event()
    if not no_worker:
        threading.Thread(target=run_forever, daemon=True, name="kelisim-worker",
                         args=(rt.factory, rt.services, rt.config["WORKER_INTERVAL"], stop)).start()
        threading.Thread(target=run_renderer, daemon=True, name="kelisim-renderer",  # the documents' PDFs
                         args=(rt.factory, rt.services, rt.config["RENDER_INTERVAL"], stop,
                               rt.config["RENDER_NICE"])).start()
    click.echo(f"Kelisim serving on http://{host}:{port} ({workers} processes x {threads} threads)")
    try:
        code = server.wait()
    except KeyboardInterrupt:
        server.terminate()
        code = server.wait(15)
    finally:
        stop.set()
    sys.exit(code if code and code > 0 else 0)


@main.command()
@click.option("--once", is_flag=True, help="Fire what is due now and exit.")
def worker(once: bool) -> None:
    """Run the timer and escalation worker and the renderer of issued documents on their own (several
    may run at once, on PostgreSQL: they share the work)."""
    from processes.worker import run_forever, run_renderer, tick

    rt = _rt()
    _require_signer(rt)
    if once:
        click.echo(f"advanced {tick(rt.factory, rt.services)} instance(s)")
        return
    stop = threading.Event()
    threading.Thread(target=run_renderer, daemon=True, name="kelisim-renderer",
                     args=(rt.factory, rt.services, rt.config["RENDER_INTERVAL"], stop,
                               rt.config["RENDER_NICE"])).start()
    try:
        run_forever(rt.factory, rt.services, rt.config["WORKER_INTERVAL"], stop)
    finally:
        stop.set()


@main.group("audit")
def audit_group() -> None:
    """Audit trail commands."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain; exit 1 and name the first bad entry if it was tampered with."""
    rt = _rt()
    with transaction(rt.factory) as session:
        result = audit.verify(session)
    if result.ok:
        click.echo(f"ok: {result.events} events, head {result.head}")
        return
    click.echo(f"BROKEN at seq {result.first_bad_seq}: {result.reason} ({result.events} good events before it)")
    sys.exit(1)


@audit_group.command("checkpoint")
def audit_checkpoint() -> None:
    """Extend the audit log's Merkle tree and sign a checkpoint now (the worker does it every minute)."""
    from processes.usecases.audit_checkpoints import checkpoint_step
    from processes.usecases.context import Ctx
    from storage import audit_log

    rt = _rt()
    with transaction(rt.factory) as session:
        made = checkpoint_step(Ctx(session=session, services=rt.services, request_id="cli-checkpoint"), force=True)
        last = audit_log.latest(session)
        note = last.note if last is not None else None
    if note is None:
        click.echo("no checkpoint: the audit log is empty")
        return
    if made is None:
        click.echo("no new entries since the latest checkpoint:")
    click.echo(note, nl=False)


@audit_group.command("prove")
@click.argument("seq", type=click.IntRange(min=1))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the bundle here (default: stdout).")
def audit_prove(seq: int, output: str | None) -> None:
    """Write an offline proof bundle of entry SEQ (check it with tools/verify_audit.py bundle)."""
    import json

    from storage import audit_log

    rt = _rt()
    settings = rt.services.settings.checkpoints
    assert settings is not None
    try:
        with transaction(rt.factory) as session:
            found = audit_log.bundle(session, settings, seq)
    except audit_log.ProofError as exc:
        click.echo(f"cannot prove entry {seq}: {exc}", err=True)
        sys.exit(1)
    text = json.dumps(found, ensure_ascii=False, indent=1) + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as out:
            out.write(text)
        click.echo(f"proof of entry {seq} against the checkpoint of {found['inclusion']['tree_size']} "
                   f"entries written to {output}")
    else:
        click.echo(text, nl=False)


@main.group()
def files() -> None:
    """Stored file commands."""


@files.command("sweep")
@click.option("--grace", default=24 * 3600, show_default=True,
              help="Keep unreferenced files younger than this (s); the files of a refused form stay 12 hours.")
def files_sweep(grace: int) -> None:
    """Delete stored files that no database row references (left by interrupted uploads), and the
    temporary files (upload spools) that interrupted uploads left."""
    from processes.usecases import files as file_cases
    from processes.usecases.context import Ctx

    rt = _rt()
    with transaction(rt.factory) as session:
        referenced = file_cases.referenced_blobs(Ctx(session=session, services=rt.services))
    swept = rt.services.blobs.sweep(referenced, grace_seconds=grace)
    click.echo(f"removed {len(swept.orphans)} orphan file(s) and {len(swept.temporary)} temporary file(s)")


@main.group()
def calendar() -> None:
    """The working-day calendar: transferred working days and extra days off (administrators)."""


@calendar.command("set")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("kind", type=click.Choice(["working", "day_off"]))
@click.option("--note", default="", help="Why, e.g. the government decree.")
@click.option("--as", "username", default="admin", show_default=True, help="The administrator acting.")
def calendar_set(day, kind: str, note: str, username: str) -> None:
    """Declare DAY a working day or a day off (applies to deadlines computed afterwards)."""
    from processes.usecases import calendar as cal
    from processes.usecases.context import Ctx
    from processes.usecases.errors import DomainError

    rt = _rt()
    try:
        with transaction(rt.factory) as session:
            actor = accounts.find_user(session, username)
            if actor is None:
                raise click.ClickException(f"no user {username}")
            cal.set_day(Ctx(session=session, services=rt.services, user=actor), day.date(), kind, note)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{day.date().isoformat()}: {kind}")


@calendar.command("list")
def calendar_list() -> None:
    """List the days the administrator changed."""
    from processes.usecases import calendar as cal
    from processes.usecases.context import Ctx

    rt = _rt()
    with transaction(rt.factory) as session:
        for row in cal.list_days(Ctx(session=session, services=rt.services)):
            click.echo(f"{row.day.isoformat()}  {row.kind:<8} {row.note}")


@main.group()
def instance() -> None:
    """Instances the timer worker could not process: list them, retry one (administrators)."""


@instance.command("errors")
def instance_errors() -> None:
    """List the instances stopped by an error, the oldest failure first."""
    from processes.usecases import timers

    rt = _rt()
    with transaction(rt.factory) as session:
        rows = timers.instances_in_error(session)
        for row in rows:
            click.echo(f"{row.id:>8}  {row.process_key:<20} {row.error_at.isoformat() if row.error_at else '-'}  "
                       f"{row.error}")
    if not rows:
        click.echo("no instance is stopped by an error")


@instance.command("retry")
@click.argument("instance_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--as", "username", default="admin", show_default=True, help="The administrator acting.")
def instance_retry(instance_id: int, username: str) -> None:
    """Clear an instance's error: the worker fires its due timers on its next tick (audited)."""
    from processes.usecases import admin
    from processes.usecases.context import Ctx
    from processes.usecases.errors import DomainError

    rt = _rt()
    try:
        with transaction(rt.factory) as session:
            actor = accounts.find_user(session, username)
            if actor is None:
                raise click.ClickException(f"no user {username}")
            cleared = admin.retry_instance(Ctx(session=session, services=rt.services, user=actor), instance_id)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"instance {cleared.id}: error cleared, the worker takes it on its next tick")


@main.group()
def user() -> None:
    """Account commands."""


AS_ADMIN = click.option("--as", "admin_name", default=None,
                        help="An administrator's username to act as (default: the server's operator, audited as cli).")


def _people(admin_name: str | None):
    """Run a people use case in one transaction, as the named administrator or as the operator; a refusal
    is the command's error."""
    from processes.usecases.context import Ctx
    from processes.usecases.errors import DomainError, Invalid

    rt = _rt()

    def run(fn, *args, **kwargs):
        try:
            with transaction(rt.factory) as session:
                actor = accounts.find_user(session, admin_name) if admin_name else None
                if admin_name and actor is None:
                    raise click.ClickException(f"no user {admin_name}")
                return fn(Ctx(session=session, services=rt.services, user=actor), *args,
                          operator=actor is None, **kwargs)
        except Invalid as exc:
            raise click.ClickException("; ".join(f"{k}: {m.render()}" for k, m in exc.errors.items())) from exc
        except DomainError as exc:
            raise click.ClickException(str(exc)) from exc

    return rt, run


def _link(rt: Runtime, token: str) -> str:
    return f"{rt.services.settings.base_url.rstrip('/')}/password/{token}"


@user.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="the full name in Kazakh")
@click.option("--name-ru", default="", help="the full name in Russian")
@click.option("--name-en", default="", help="the full name in English")
@click.option("--email", default="")
@click.option("--unit", default="", help="the unit's code, e.g. FE-IS")
@click.option("--role", "roles", multiple=True, required=True, help="a role code; vice_rector:finance sets the area")
@click.option("--area", default="", help="area of responsibility (finance, academic, research, international, youth)")
@click.option("--position-kk", default="", help="the position in Kazakh")
@click.option("--position-ru", default="", help="the position in Russian")
@click.option("--position-en", default="", help="the position in English")
@click.option("--password", default=None,
              help="Only to bootstrap (e.g. the first administrator): without it a one-time link is printed.")
@AS_ADMIN
def user_create(username: str, full_name: str, name_ru: str, name_en: str, email: str, unit: str,
                roles: tuple[str, ...], area: str, position_kk: str, position_ru: str, position_en: str,
                password: str | None, admin_name: str | None) -> None:
    """Create an account and print its one-time password link (the person sets the password themselves)."""
    from processes.usecases import people

    if password is not None and admin_name:
        raise click.ClickException("an administrator never sets a password: leave out --password or --as")
    rt, run = _people(admin_name)
    body = {"username": username, "full_name": {"kk": full_name, "ru": name_ru, "en": name_en}, "email": email,
            "unit": unit, "roles": list(roles), "area": area,
            "position": {"kk": position_kk, "ru": position_ru, "en": position_en}}
    _user, token = run(people.create_user, body, password=password)
    click.echo(f"created {username}" + (f"; password link (24 hours, once): {_link(rt, token)}" if token else ""))


@user.command("disable")
@click.argument("username")
@click.option("--reason", default="disabled by the server's operator", show_default=True,
              help="Why the account is disabled (audited).")
@AS_ADMIN
def user_disable(username: str, reason: str, admin_name: str | None) -> None:
    """Disable an account and end its sessions and tokens at once."""
    from processes.usecases import people

    _rt_, run = _people(admin_name)
    run(people.disable_user, username, reason)
    click.echo(f"disabled {username}")


@user.command("enable")
@click.argument("username")
@AS_ADMIN
def user_enable(username: str, admin_name: str | None) -> None:
    """Let a disabled account log in again."""
    from processes.usecases import people

    _rt_, run = _people(admin_name)
    run(people.enable_user, username)
    click.echo(f"enabled {username}")


@user.command("reset-link")
@click.argument("username")
@AS_ADMIN
def user_reset_link(username: str, admin_name: str | None) -> None:
    """Print a new one-time password link for the account (its older links stop working)."""
    from processes.usecases import people

    rt, run = _people(admin_name)
    token = run(people.issue_password_link, username)
    click.echo(f"password link for {username} (24 hours, once): {_link(rt, token)}")


@main.group()
def unit() -> None:
    """Unit commands: the tree of faculties, departments and offices."""


@unit.command("list")
@AS_ADMIN
def unit_list(admin_name: str | None) -> None:
    """Print the tree of units: code, kind, head, members, name (indented under its parent)."""
    from processes.usecases import units

    _rt_, run = _people(admin_name)

    def rows(ctx, operator: bool):
        return [(r.depth, r.unit.code, r.unit.kind, r.head.username if r.head else "-", r.members, r.unit.name_en
                 or r.unit.name_kk) for r in units.tree(ctx, "en", operator=operator)]

    for depth, code, kind, head, members, name in run(rows):
        click.echo(f"{'  ' * depth}{code:<{24 - 2 * min(depth, 8)}} {kind:<11} {head:<20} {members:>4}  {name}")


@unit.command("create")
@click.argument("code")
@click.option("--name", "name_kk", required=True, help="the name in Kazakh")
@click.option("--name-ru", default="", help="the name in Russian")
@click.option("--name-en", default="", help="the name in English")
@click.option("--kind", required=True, type=click.Choice(["university", "faculty", "department", "office"]))
@click.option("--parent", default="", help="the parent unit's code (none: at the top)")
@click.option("--head", default="", help="the head's username")
@AS_ADMIN
def unit_create(code: str, name_kk: str, name_ru: str, name_en: str, kind: str, parent: str, head: str,
                admin_name: str | None) -> None:
    """Create a unit (audited as unit_created)."""
    from processes.usecases import units

    _rt_, run = _people(admin_name)
    body = {"code": code, "name": {"kk": name_kk, "ru": name_ru, "en": name_en}, "kind": kind, "parent": parent,
            "head": head}
    created = run(lambda ctx, operator: units.create_unit(ctx, body, operator=operator).code)
    click.echo(f"created unit {created}")


@unit.command("move")
@click.argument("code")
@click.argument("parent", required=False, default="")
@AS_ADMIN
def unit_move(code: str, parent: str, admin_name: str | None) -> None:
    """Place the unit CODE under PARENT (left out: at the top); its place before stays in its history."""
    from processes.usecases import units

    _rt_, run = _people(admin_name)
    run(units.move_unit, code, parent)
    click.echo(f"moved {code} under {parent}" if parent else f"moved {code} to the top")


@main.group()
def diagram() -> None:
    """BPMN diagrams drawn as SVG (issue 14)."""


@diagram.command("render")
@click.argument("bpmn_file", metavar="FILE.bpmn", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", metavar="OUT.svg", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the SVG here (default: standard output).")
def diagram_render(bpmn_file: str, output: str | None) -> None:
    """Draw the first diagram of FILE.bpmn as SVG; what could not be drawn is listed on standard error."""
    from pathlib import Path

    from processes.diagram import DiagramError, render_svg

    try:
        drawn = render_svg(Path(bpmn_file))
    except DiagramError as exc:
        click.echo(f"{bpmn_file}: {exc}", err=True)
        sys.exit(2)
    for problem in drawn.problems:
        click.echo(f"{bpmn_file}: {problem}", err=True)
    if output:
        Path(output).write_text(drawn.svg, encoding="utf-8")
        click.echo(f"{output}: {drawn.shapes} shapes, {drawn.edges} edges", err=True)
    else:
        click.echo(drawn.svg)


def _require_signer(rt: Runtime) -> None:
    """Refuse to start without a usable signing key (issue 17): every issued PDF is signed."""
    from processes.signing import SigningKeyError

    try:
        rt.services.signer.get()
    except SigningKeyError as exc:
        raise click.ClickException(f"cannot start: {exc}") from None


def _add_process_commands() -> None:
    """Commands a process brings (``web/<process_key>/cli.py`` with a click group ``commands``)."""
    web_dir = os.path.dirname(__file__)
    for key in catalog.kinds():
        if os.path.isfile(os.path.join(web_dir, key, "cli.py")):
            main.add_command(importlib.import_module(f"web.{key}.cli").commands)


_add_process_commands()
signing_cli.install(main)  # issue 17: `kelisim keys demo`, `kelisim verify-pdf`

if __name__ == "__main__":
    main()


@main.group()
def routing() -> None:
    """Routing tables: who approves what (issue 12)."""


def _routing(admin_name: str | None, fn, *args):
    """Run a routing use case in one transaction, as the named account (default: the first administrator)."""
    from processes.usecases.context import Ctx
    from processes.usecases.errors import DomainError, Invalid

    rt = _rt()
    try:
        with transaction(rt.factory) as session:
            actor = accounts.find_user(session, admin_name) if admin_name else _first_admin(session)
            if actor is None:
                raise click.ClickException(f"no user {admin_name}" if admin_name else "no active administrator")
            return fn(Ctx(session=session, services=rt.services, user=actor), *args)
    except Invalid as exc:
        raise click.ClickException("; ".join(f"{k}: {m.render()}" for k, m in exc.errors.items())) from exc
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc


def _first_admin(session):
    from sqlalchemy import select

    from storage.models import User, UserRole

    return session.execute(select(User).join(UserRole).where(UserRole.role == "admin", User.is_active.is_(True))
                           .order_by(User.id).limit(1)).scalar_one_or_none()


@routing.command("list")
@AS_ADMIN
def routing_list(admin_name: str | None) -> None:
    """The routing tables and their version in force."""
    from processes.usecases import routing_tables

    for o in _routing(admin_name, routing_tables.overview):
        who = o.current.created_by or "shipped"
        click.echo(f"{o.spec.decision:<22} {o.kind.key:<20} v{o.current.version}  {who}  "
                   f"{o.current.created_at:%Y-%m-%d %H:%M}  {o.current.checksum[:16]}")


@routing.command("show")
@click.argument("decision")
@AS_ADMIN
def routing_show(decision: str, admin_name: str | None) -> None:
    """The rules of the table in force: conditions per input, then the role."""
    from processes.usecases import routing_tables

    def show(c):
        row = routing_tables.current(c, decision)
        routing_tables.history(c, decision)  # readers only
        return row, routing_tables.table(row)

    row, table = _routing(admin_name, show)
    click.echo(f"{decision} version {row.version} ({row.checksum})")
    click.echo("rule  " + " | ".join(col.expression for col in table.inputs) + " -> role")
    for rule in table.rules:
        click.echo(f"{rule.id}  " + " | ".join(rule.inputs) + f" -> {routing_tables.role_of(rule)}")


@routing.command("set")
@click.argument("decision")
@click.option("--rule", "changes", multiple=True, required=True, metavar="RULE_ID=ROLE",
              help="give a rule another role, e.g. Rule_Finance=rector")
@click.option("--reason", required=True, help="why the routing changes (kept with the version)")
@AS_ADMIN
def routing_set(decision: str, changes: tuple[str, ...], reason: str, admin_name: str | None) -> None:
    """Save a new version of the table with the given rules pointing to other roles (--as names the
    administrator making the change: it is theirs in the audit trail)."""
    from processes.usecases import routing_tables

    if not admin_name:
        raise click.UsageError("name the administrator making the change with --as")

    wanted = {}
    for change in changes:
        rule_id, sep, role = change.partition("=")
        if not sep or not rule_id or not role:
            raise click.BadParameter(f"{change!r}: write RULE_ID=ROLE", param_hint="--rule")
        wanted[rule_id] = role

    def save(c):
        row = routing_tables.current(c, decision)
        rules = [{"id": r.id, "inputs": list(r.inputs), "output": wanted.pop(r.id, routing_tables.role_of(r))}
                 for r in routing_tables.table(row).rules]
        if wanted:
            raise click.BadParameter(f"no rule {', '.join(sorted(wanted))} in {decision}", param_hint="--rule")
        return routing_tables.save(c, decision, rules, reason, row.version)

    row = _routing(admin_name, save)
    click.echo(f"{decision}: version {row.version} saved ({row.checksum[:16]})")
