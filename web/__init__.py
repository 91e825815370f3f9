"""The Flask application: HTML pages, the JSON API, and the glue to the use cases."""
from __future__ import annotations

import uuid
from typing import Any

from flask import Flask, abort, current_app, g, request, session
from flask_babel import Babel
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from processes.diagram import STYLE_CSP_SOURCE
from web import runtime

csrf = CSRFProtect()
MAX_ID = 2**31 - 1  # ids are INTEGER columns on PostgreSQL
babel = Babel()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the application: defaults, then environment, then test overrides."""
    app = Flask(__name__)
    from web.uploads import UploadRequest

    app.request_class = UploadRequest  # file parts streamed once, into the BlobStore
    rt = runtime.build(test_config)
    try:
        rt.services.signer.get()  # issue 17: no signing key, a wrong password or an expired certificate: no server
    except Exception:
        rt.close()
        raise
    app.config.update(rt.config)
    app.url_map.converters["id"] = IdConverter
    app.extensions["kelisim.db"] = rt.factory
    app.extensions["kelisim.engine"] = rt.engine
    app.extensions["kelisim.services"] = rt.services
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_security_headers)  # before the commit's: a refused commit's 409 gets them too
    _install_views(app)
    app.add_template_filter(_from_iso, "from_iso")
    _install_date_filters(app)
    app.before_request(_before)
    if app.config["TRUSTED_PROXIES"]:  # the client address from X-Forwarded-For, as the proxies set it
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"])  # type: ignore[method-assign]
    return app


class IdConverter(IntegerConverter):
    """A database id in a URL: 1 … 2**31 - 1, so an absurd number is a 404, not a database error."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, min=1, max=MAX_ID)


def select_locale() -> str:
    """The user's saved language, else the session's, else the browser's, else Kazakh."""
    langs = ["kk", "ru", "en"]
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.user.locale in langs:
        return current_user.user.locale
    if session.get("lang") in langs:
        return session["lang"]
    return request.accept_languages.best_match(langs) or "kk"


def _install_views(app: Flask) -> None:
    from web import admin_views, api, audit_views, auth, errors, pages, process_pages, unit_of_work

    unit_of_work.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(audit_views.bp)
    # these add their pages (routing tables, units) to the administration blueprint, before it is registered
    from web import routing_views, unit_views  # noqa: F401

    app.register_blueprint(admin_views.bp)
    app.register_blueprint(routing_views.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # bearer-token API: cookies never authenticate it
    from web import admin_api, people_views

    app.register_blueprint(people_views.bp)
    app.register_blueprint(admin_api.bp)
    csrf.exempt(admin_api.bp)  # the JSON API's administration part: bearer tokens too
    from web import unit_api

    app.register_blueprint(unit_api.bp)
    csrf.exempt(unit_api.bp)  # the JSON API's units: bearer tokens too
    from web import routing_api

    app.register_blueprint(routing_api.bp)
    csrf.exempt(routing_api.bp)  # the JSON API's routing tables: bearer tokens too
    from web import absence_api, absence_views

    app.register_blueprint(absence_views.bp)
    app.register_blueprint(absence_api.bp)
    csrf.exempt(absence_api.bp)  # the JSON API's absences: bearer tokens only
    from web import audit_api, definitions_views  # issue 14: the audit trail's exports, process definitions

    app.register_blueprint(definitions_views.bp)
    app.register_blueprint(definitions_views.api_bp)
    csrf.exempt(definitions_views.api_bp)  # bearer tokens only
    app.register_blueprint(audit_api.bp)
    csrf.exempt(audit_api.bp)  # bearer tokens only
    from web import diagram_views

    app.register_blueprint(diagram_views.bp)
    app.register_blueprint(diagram_views.api_bp)
    csrf.exempt(diagram_views.api_bp)  # the JSON API's diagrams: bearer tokens only
    from web import dashboard_views  # issue 14, part 7: deadlines at a glance

    app.register_blueprint(dashboard_views.bp)
    app.register_blueprint(dashboard_views.api_bp)
    csrf.exempt(dashboard_views.api_bp)  # bearer tokens only
    from web import case_file_views  # issue 14: the auditors' case file (PDF)

    app.register_blueprint(case_file_views.bp)
    app.register_blueprint(case_file_views.api_bp)
    csrf.exempt(case_file_views.api_bp)  # bearer tokens only
    from web import signing_views  # issue 17: the signing certificate, the check of an uploaded PDF

    signing_views.init_app(app, csrf.exempt)
    from web import media_contacts_views  # issue 15: units' media contacts (§7.10.4)

    app.register_blueprint(media_contacts_views.bp)
    for view in media_contacts_views.CSRF_EXEMPT:  # bearer tokens only
        csrf.exempt(view)
    nav = process_pages.install_all(app, csrf.exempt)
    nav = sorted([*nav, *media_contacts_views.NAV], key=lambda item: item.order)
    app.jinja_loader = process_pages.fragment_loader(app.jinja_loader)
    from web.labels import ProcessLabels

    app.jinja_env.globals.update(process_nav=nav, labels=ProcessLabels(), has_endpoint=_has_endpoint,
                                 process_menu=lambda roles: process_pages.menu(nav, roles),
                                 section_menu=lambda roles, endpoint: process_pages.section_menu(nav, roles, endpoint))
    from web import withheld as withheld_pages  # a violation report's reporter, shown withheld (§13.1)

    app.jinja_env.globals.update(withheld_pages.GLOBALS)


def _has_endpoint(name: str) -> bool:
    """Whether a page exists (a template links to it only then, e.g. the administration's sub-navigation)."""
    return name in current_app.view_functions


def _install_date_filters(app: Flask) -> None:
    """One way to write a date and a date-time on every page (processes.university_time: 02.12.2026 and
    02.12.2026, 14:05, Almaty time), whatever format name a template asks Flask-Babel for; `in_locale`
    picks a {"kk", "ru", "en"} text (a position, a unit's name) in the page's language."""
    from datetime import UTC, date, datetime

    from flask_babel import get_locale

    from processes.university_time import date_text, datetime_text, deadline_day, ends_with_day
    from storage.models import pick_language

    def in_locale(value: Any) -> str:
        return pick_language(value, str(get_locale() or "kk"))

    def aware(value: Any) -> Any:  # a naive date-time from JSON data is UTC, as everything stored
        if isinstance(value, datetime) and value.utcoffset() is None:
            return value.replace(tzinfo=UTC)
        return value

    def as_datetime(value: Any, fmt: Any = None) -> str:
        return datetime_text(aware(value)) if isinstance(value, date) else str(value or "")

    def as_date(value: Any, fmt: Any = None) -> str:
        return date_text(aware(value)) if isinstance(value, date) else str(value or "")

    app.add_template_filter(as_datetime, "datetimeformat")
    app.add_template_filter(as_date, "dateformat")
    app.add_template_filter(in_locale, "in_locale")
    app.add_template_filter(deadline_day, "deadline_day")
    app.add_template_test(ends_with_day, "day_deadline")

    def thousands(value: Any) -> str:  # a count as the page's language writes it: 10 000 (kk, ru), 10,000 (en)
        from flask_babel import format_decimal

        return format_decimal(value) if isinstance(value, int) else str(value)

    app.add_template_filter(thousands, "thousands")


def _from_iso(value: str):
    """Parse an ISO date or date-time string kept in JSON data, for formatting in templates."""
    from datetime import date, datetime

    try:
        return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    except (TypeError, ValueError):
        return value


def _before() -> None:
    g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and limit and request.content_length > limit:
        abort(413)  # refuse before reading a byte of the body


DIAGRAM_STYLE = STYLE_CSP_SOURCE  # the process diagrams drawn inline (processes/diagram.py): their stylesheet only


def _security_headers(response):
    csp = (f"default-src 'self'; img-src 'self' data:; style-src 'self' {DIAGRAM_STYLE}; script-src 'self'; "
           "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Referrer-Policy", "same-origin")  # a page with a secret address says no-referrer
    response.headers["X-Request-Id"] = g.get("request_id", "")
    # No cache keeps personal data: not a signed-in user's pages, nor any answer of the JSON API (the
    # bearer token's answers, the token itself (RFC 6749 §5.1), and its refusals); the public OpenAPI
    # document may be cached.
    if (getattr(current_user, "is_authenticated", False) or g.get("api_user") is not None
            or request.path.startswith("/api/v1/")):
        response.headers["Cache-Control"] = "no-store"
    from flask import current_app

    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response
