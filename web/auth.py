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

from storage import accounts, audit
from storage.models import User, utcnow
from web.unit_of_work import commit, db

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
        user = accounts.live_session_user(db(), sid, timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]),
                                          timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"]), utcnow())
        return WebUser(sid, user) if user else None

    @login_manager.unauthorized_handler
    def _unauthorized():
        if request.path.startswith("/api/"):
            abort(401)
        flash(_("Please log in."))
        return redirect(url_for("auth.login", next=request.full_path))


def _throttle():
    cfg = current_app.config
    return accounts.Throttle(per_user=cfg["LOGIN_THROTTLE_PER_USER"], per_addr=cfg["LOGIN_THROTTLE_PER_ADDR"])


def authenticate(username: str, password: str) -> tuple[User | None, int]:
    """Check credentials with throttling; return (user, 0), (None, 0) or (None, retry_after)."""
    addr = request.remote_addr or "?"
    username = (username or "").strip()[:80]
    wait = accounts.retry_after(db(), username, addr, _throttle(), utcnow())
    if wait:
        return None, wait
    user = accounts.find_user(db(), username)
    if user is not None and user.is_active and accounts.verify_password(user, password or ""):
        return user, 0
    accounts.record_failure(db(), username, addr)
    audit.append(db(), audit.Actor(username or None, "anonymous"), "login_failed",
                 data={"remote_addr": addr}, request_id=g.get("request_id"))
    commit()
    return None, 0


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html")
    user, wait = authenticate(request.form.get("username", ""), request.form.get("password", ""))
    if wait:
        return render_template("login.html", error=_("Too many failed attempts. Try again in %(s)s seconds.",
                                                     s=wait)), 429, {"Retry-After": str(wait)}
    if user is None:
        return render_template("login.html", error=_("Wrong username or password.")), 401
    lang = session.get("lang")
    session.clear()  # a new session at log-in (no fixation)
    details = {"remote_addr": request.remote_addr}
    if lang in current_app.config["LANGUAGES"] and not user.locale:
        user.locale = details["locale_set"] = lang  # the language chosen on the log-in page becomes the user's
    sid = accounts.open_session(db(), user)
    audit.append(db(), audit.Actor(user.username, ",".join(sorted(user.role_names))), "login",
                 data=details, request_id=g.get("request_id"))
    commit()
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
        accounts.end_session(db(), current_user.sid)
        audit.append(db(), audit.Actor(current_user.user.username), "logout", request_id=g.get("request_id"))
        commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language():
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400, description=_("Unknown language."))
    session["lang"] = lang
    if current_user.is_authenticated and current_user.user.locale != lang:
        user = current_user.user
        audit.append(db(), audit.Actor(user.username, ",".join(sorted(user.role_names))), "language_changed",
                     object=f"user:{user.username}", data={"from": user.locale, "to": lang},
                     request_id=g.get("request_id"))
        user.locale = lang
        commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("pages.inbox"))


def bearer_user() -> User | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return accounts.token_user(db(), header[7:].strip(), utcnow())


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
