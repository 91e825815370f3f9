"""One database transaction per request: opened on first use, committed or rolled back at the end.

The commit has one owner: ``after_request`` commits a successful response (status below 400) before it
leaves, turning a concurrent change into the 409 the error handlers render; views never commit. The
documents the request issued are rendered by the worker in the background (``processes.rendering``):
the response never waits for a PDF, unless ``RENDER_INLINE`` is set (then they are rendered right after
the commit, outside the transaction and every lock)."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import date, datetime

from flask import Flask, abort, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from forms.validate import N_
from processes import rendering
from processes.university_time import FIRST_DAY, LAST_DAY
from processes.usecases.context import Ctx, Services
from processes.usecases.errors import Conflict, DomainError
from storage import audit
from storage.db import read_only, writing

log = logging.getLogger("kelisim.web")


def db() -> Session:
    """The request's session (one transaction for the whole request)."""
    if "db" not in g:
        g.db = current_app.extensions["kelisim.db"]()
    return g.db


def services() -> Services:
    return current_app.extensions["kelisim.services"]


def ctx() -> Ctx:
    """A use-case context for the current user inside the request's transaction."""
    user = g.get("api_user")
    if user is None and request.blueprint != "api" and getattr(current_user, "is_authenticated", False):
        user = current_user.user
    return Ctx(session=db(), services=services(), user=user, request_id=g.get("request_id"))


def commit() -> None:
    """Commit now; a concurrent change becomes a 409 instead of a 500."""
    session = g.get("db")
    if session is None:
        return
    try:
        session.commit()
    except (StaleDataError, IntegrityError) as exc:
        session.rollback()
        raise Conflict(N_("The data was changed at the same time; reload and try again.")) from exc
    except DBAPIError as exc:
        session.rollback()
        if read_only.get() and session.get_bind().dialect.name == "sqlite":
            # a GET's housekeeping (a session's last-seen time) lost the write lock to a writer that came
            # first: the page was read from a consistent snapshot, the housekeeping waits for the next request
            log.warning("read-only request: its housekeeping write was dropped (%s)", exc.orig)
            return
        if getattr(exc.orig, "sqlstate", None) in {"40001", "40P01", "55P03"}:
            raise Conflict(N_("The data was changed at the same time; reload and try again.")) from exc
        raise


def keep_refusal() -> None:
    """The request is refused (4xx), but what it recorded stands: a failed log-in counts towards the
    throttle and is audited. The commit stays the unit of work's."""
    g.keep_refused = True


def rollback() -> None:
    session = g.get("db")
    if session is not None:
        session.rollback()


def record_denial(error: DomainError) -> None:
    """Audit an access denial in its own transaction, after the request's work was rolled back."""
    if error.denial is None:
        return
    obj, operation = error.denial
    user = g.get("api_user") or (current_user.user if getattr(current_user, "is_authenticated", False)
                                 and request.blueprint != "api" else None)
    actor = audit.Actor(user.username, ",".join(sorted(user.role_names))) if user else audit.Actor(None, "anonymous")
    session = db()
    session.rollback()
    with writing():  # a read-only request's denial is written all the same, under the write lock
        audit.append(session, actor, "access_denied", object=obj, data={"operation": operation},
                     request_id=g.get("request_id"))
        session.commit()


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask) -> None:
    """Install the commit at the end of each request; register it before any other after_request
    function whose work must also apply to a refused commit's 409 (they run in reverse order).

    A GET or HEAD request reads in a deferred transaction (``storage.db.read_only``): on SQLite it never
    queues behind a writer's lock; what it must write all the same (an access denial, a document a
    download renders) is written under ``writing()``."""
    @app.before_request
    def _read_only():
        g.read_only_token = read_only.set(request.method in READ_METHODS)

    @app.after_request
    def _commit(response):
        session = g.get("db")
        if session is None or (response.status_code >= 400 and not g.get("keep_refused")):
            return response
        try:
            commit()
        except Conflict as conflict:
            return app.make_response(app.handle_user_exception(conflict))
        if app.config.get("RENDER_INLINE"):  # tests of other behaviour; by default the worker renders
            with writing():
                rendering.render_issued(app.extensions["kelisim.db"], services(), session)
        else:
            session.info.pop(rendering.ISSUED, None)
        return response

    @app.teardown_request
    def _close(_exc):
        session = g.pop("db", None)
        if session is not None:
            session.rollback()
            session.close()
        token = g.pop("read_only_token", None)
        if token is not None:
            read_only.reset(token)


def streamed(make_chunks: Callable[[Ctx], Iterator[str]]) -> Iterator[str]:
    """A long answer (an export) streamed after the view returned: its rows are read in a session of their
    own, in one read transaction (deferred on SQLite: no write lock held while the client downloads),
    closed when the stream ends. The view checks who may read before it calls this."""
    from storage.models import User

    factory = current_app.extensions["kelisim.db"]
    user = ctx().user
    # the user is read again in the stream's own session: the request's is closed (and its objects expired)
    # by the time the answer is sent
    svc, user_id, request_id = services(), user.id if user is not None else None, g.get("request_id")

    def chunks() -> Iterator[str]:
        session = factory()
        token = read_only.set(True)
        try:
            session.connection()  # the transaction begins now, as a read
        finally:
            read_only.reset(token)
        try:
            reader = session.get(User, user_id) if user_id is not None else None
            yield from make_chunks(Ctx(session=session, services=svc, user=reader, request_id=request_id))
        finally:
            session.rollback()
            session.close()
    return chunks()


def render_now(instance_id: int | None) -> None:
    """Render an instance's documents whose PDF is still missing, for a download that needs it now."""
    session = g.get("db")
    if session is not None:
        session.rollback()  # hold no transaction (nor SQLite's write lock) while rendering
    with writing():
        rendering.render_pending(current_app.extensions["kelisim.db"], services(), instance_id)


# --- date and date-time query parameters: the one parser of every view ---------------------------

def date_arg(name: str) -> date | None:
    """A query-string date (YYYY-MM-DD, an Almaty calendar day), or None when absent or empty.

    Malformed, or outside university_time's range (FIRST_DAY..LAST_DAY, every real date), it is refused
    with a 400 naming the parameter: a filter is never silently dropped (that would answer unfiltered
    data), and a date the time conversions cannot hold never reaches them (it was a 500)."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        abort(400, description=_("%(name)s must be a date as YYYY-MM-DD.", name=name))
    return _in_range(name, value)


def datetime_arg(name: str) -> datetime | None:
    """A query-string date-time (ISO 8601 with a time zone, e.g. 2026-01-31T09:00:00+05:00), as an aware
    datetime, or None when absent or empty; malformed, naive or out of range -> 400, as `date_arg`."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None or value.utcoffset() is None:
        abort(400, description=_("%(name)s must be an ISO 8601 date-time with a time zone, "
                                 "e.g. 2026-01-31T09:00:00+05:00.", name=name))
    _in_range(name, value.date())  # an offset is under a day: its UTC moment exists too
    return value


def _in_range(name: str, day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        abort(400, description=_("%(name)s must be between %(first)s and %(last)s.", name=name,
                                 first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()))
    return day
