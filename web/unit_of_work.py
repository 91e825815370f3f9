"""One database transaction per request: opened on first use, committed or rolled back at the end."""
from __future__ import annotations

import logging
from datetime import date

from flask import Flask, current_app, g, request
from flask_login import current_user
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from forms.validate import N_
from processes.usecases.context import Ctx, Services
from processes.usecases.errors import Conflict, DomainError
from storage import audit

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
        if getattr(exc.orig, "sqlstate", None) in {"40001", "40P01", "55P03"}:
            raise Conflict(N_("The data was changed at the same time; reload and try again.")) from exc
        raise


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
    audit.append(session, actor, "access_denied", object=obj, data={"operation": operation},
                 request_id=g.get("request_id"))
    session.commit()


def init_app(app: Flask) -> None:
    @app.after_request
    def _commit(response):
        if response.status_code < 400 and "db" in g:
            try:
                commit()
            except Conflict:
                response = current_app.response_class("409 Conflict: changed concurrently", status=409)
        return response

    @app.teardown_request
    def _close(_exc):
        session = g.pop("db", None)
        if session is not None:
            session.rollback()
            session.close()


def render_documents(instance_id: int) -> None:
    """Render the instance's newly issued PDFs now that the decision is committed."""
    from processes.rendering import render_pending

    session = g.get("db")
    if session is not None:
        session.rollback()  # hold no transaction (nor SQLite's write lock) while rendering
    render_pending(current_app.extensions["kelisim.db"], services(), instance_id)


def date_arg(name: str) -> date | None:
    """A query-string date (ISO), or None when absent or malformed (filters then ignore it)."""
    raw = request.args.get(name, "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
