"""Map domain errors and HTTP errors to one clear response each: JSON for the API, a page otherwise."""
from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import format_decimal, gettext
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException

from processes.usecases.errors import DomainError, Invalid
from web import messages
from web.unit_of_work import record_denial, rollback

log = logging.getLogger("kelisim.web")


def wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        rollback()
        record_denial(error)
        message = messages.render(error.message)
        if isinstance(error, Invalid):
            errors = messages.summary(error.errors)  # the key is the field's path; the message names it in words
            if wants_json():
                return jsonify(error=message, errors=errors), 422
            return render_template("error.html", status=422, message=message, errors=errors), 422
        if wants_json():
            return jsonify(error=message), error.status
        return render_template("error.html", status=error.status, message=message), error.status

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        rollback()
        message = gettext("The form has expired or is missing its security token. Reload the page and try again.")
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        rollback()
        message = _describe(error)
        headers = _kept_headers(error)
        if error.code == 413:
            message = _too_large()
            if (request.content_length or 0) <= (current_app.config["MAX_CONTENT_LENGTH"] or 0):
                message = gettext("A text field of the form is longer than %(n)s MB. Nothing was saved: go back "
                                  "to the form and shorten it.",
                                  n=format_decimal(current_app.config["MAX_FORM_MEMORY_SIZE"] // (1024 * 1024)))
        if wants_json():
            return jsonify(error=message), error.code, headers
        back = request.path if error.code == 413 and request.method == "POST" and not wants_json() else None
        return render_template("error.html", status=error.code, message=message, back_url=back), error.code, headers

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        rollback()
        log.exception("unexpected error (request %s)", g.get("request_id"))
        message = gettext("Something went wrong on our side. Nothing was saved.")
        if wants_json():
            return jsonify(error=message, request_id=g.get("request_id")), 500
        return render_template("error.html", status=500, message=message), 500


KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def _kept_headers(error: HTTPException) -> dict[str, str]:
    """The headers the exception's own answer would carry that say how to retry: `Allow` on a 405
    (werkzeug puts it in `get_headers()`, which this handler's own answer replaces), `Retry-After`,
    `WWW-Authenticate`; never its Content-Type."""
    found = Headers(error.response.headers if error.response is not None else None)
    found.extend(error.get_headers())
    return {name: value for name in KEPT_HEADERS if (value := found.get(name))}


def _too_large() -> str:
    """A body too large to read at all: what the limits are, and that nothing was saved (the form's
    values could not be read, so they cannot come back)."""
    config = current_app.config
    return gettext("The request is larger than %(total)s MB, the most Kelisim accepts at once (a file may have "
                   "up to %(file)s MB, a video up to %(video)s MB). Nothing was saved: go back to the form and "
                   "attach smaller files, or fewer at a time.",
                   total=format_decimal(round(config["MAX_CONTENT_LENGTH"] / (1024 * 1024))),
                   file=format_decimal(config["MAX_FILE_SIZE"] // (1024 * 1024)),
                   video=format_decimal(config["MAX_VIDEO_SIZE"] // (1024 * 1024)))


def _describe(error: HTTPException) -> str:
    generic = {
        400: gettext("The request is malformed."),
        401: gettext("Please log in."),
        403: gettext("You may not do this."),
        404: gettext("Not found."),
        405: gettext("This method is not allowed here."),
        413: gettext("The upload is too large."),
        415: gettext("Unsupported content type."),
        429: gettext("Too many requests. Try again later."),
    }
    default = type(error).description
    if error.description and error.description != default:
        return error.description
    return generic.get(error.code or 500, error.name)
