"""Log-in and log-out with server-side sessions, throttling, the language switch, API bearer tokens."""
from __future__ import annotations

from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from processes.usecases import sessions
from processes.usecases.context import Ctx
from processes.usecases.errors import TooManyAttempts, Unauthenticated
from storage.models import User
from web.unit_of_work import ctx, db, keep_refusal, services

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


class WebUser(UserMixin):
    """What Flask-Login holds: the server-side session id and the account behind it."""

    def __init__(self, sid: str, user: User):
        self.sid, self.user = sid, user

    def get_id(self) -> str:
        return self.sid

    @property
    def is_active(self) -> bool:
        return self.user.is_active


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # sessions are server-side records already

    @login_manager.user_loader
    def _load(sid: str) -> WebUser | None:
        cfg = current_app.config
        user = sessions.session_user(anonymous_ctx(), sid, timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]),
                                     timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"]))
        return WebUser(sid, user) if user else None

    @login_manager.unauthorized_handler
    def _unauthorized():
        if request.path.startswith("/api/"):
            abort(401)
        flash(_("Please log in."))
        return redirect(url_for("auth.login", next=request.full_path))


def anonymous_ctx() -> Ctx:
    """A use-case context without the signed-in user (for log-in, tokens, and loading who is signed in)."""
    return Ctx(session=db(), services=services(), request_id=g.get("request_id"))


def throttle() -> sessions.Throttle:
    cfg = current_app.config
    return sessions.Throttle(per_pair=cfg["LOGIN_THROTTLE_PER_PAIR"], per_addr=cfg["LOGIN_THROTTLE_PER_ADDR"])


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html")
    lang = session.get("lang")  # the language chosen on the log-in page becomes the user's
    try:
        user, sid = sessions.log_in(anonymous_ctx(), request.form.get("username", ""),
                                    request.form.get("password", ""), remote_addr=request.remote_addr,
                                    throttle=throttle(),
                                    locale=lang if lang in current_app.config["LANGUAGES"] else None)
    except TooManyAttempts as exc:
        wait = exc.retry_after
        return render_template("login.html", error=_("Too many failed attempts. Try again in %(s)s seconds.",
                                                     s=wait)), 429, {"Retry-After": str(wait)}
    except Unauthenticated:
        keep_refusal()  # the failure counts towards the throttle and is audited
        return render_template("login.html", error=_("Wrong username or password.")), 401
    session.clear()  # a new session at log-in (no fixation)
    login_user(WebUser(sid, user))
    return redirect(_safe_next(request.args.get("next")) or url_for("pages.inbox"))


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        sessions.log_out(ctx(), current_user.sid)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language():
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400, description=_("Unknown language."))
    session["lang"] = lang
    if current_user.is_authenticated:
        sessions.change_language(ctx(), lang)
    return redirect(_safe_next(request.form.get("next")) or url_for("pages.inbox"))


def bearer_user() -> User | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return sessions.token_user(anonymous_ctx(), header[7:].strip())


def api_auth(view):
    """Require a valid bearer token; cookies never authenticate the API."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        user = bearer_user()
        if user is None:
            abort(401, description="A valid bearer token is required.")
        g.api_user = user
        return view(*args, **kwargs)

    return wrapper
