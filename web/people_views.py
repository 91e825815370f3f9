"""Passwords set by their owners: through a one-time link (no log-in), or changed when signed in."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from processes.usecases import people
from processes.usecases.errors import Invalid
from web import messages
from web.auth import anonymous_ctx, throttle
from web.unit_of_work import ctx, keep_refusal

bp = Blueprint("people", __name__)

NO_REFERRER = {"Referrer-Policy": "no-referrer"}  # the token in the address never leaves in a Referer


@bp.route("/password/<token>", methods=["GET", "POST"])
def password_link(token: str):
    """Set one's password through the link an administrator issued: unknown → 404, used or expired → 410."""
    c = anonymous_ctx()
    user, _link = people.link_user(c, token)
    if request.method == "GET":
        return render_template("password.html", mode="link", person=user, errors={}, summary={}), 200, NO_REFERRER
    try:
        people.set_password_by_link(c, token, request.form.get("password", ""), request.form.get("password2", ""))
    except Invalid as error:
        return render_template("password.html", mode="link", person=user, errors=messages.field_errors(error.errors),
                               summary=messages.summary(error.errors)), 422, NO_REFERRER
    return render_template("password.html", mode="done", person=user, errors={}, summary={}), 200, NO_REFERRER


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def account_password():
    """The signed-in user changes their password: the current one, the new one twice; other sessions end."""
    if request.method == "GET":
        return render_template("password.html", mode="account", person=current_user.user, errors={}, summary={})
    try:
        people.change_password(ctx(), request.form.get("current", ""), request.form.get("password", ""),
                               request.form.get("password2", ""), keep_sid=current_user.sid,
                               remote_addr=request.remote_addr, throttle=throttle())
    except Invalid as error:
        if "current" in error.errors:
            keep_refusal()  # a wrong current password counts towards the log-in throttle and is audited
        return render_template("password.html", mode="account", person=current_user.user,
                               errors=messages.field_errors(error.errors),
                               summary=messages.summary(error.errors)), 422
    return redirect(url_for("people.account_password", done=1))
