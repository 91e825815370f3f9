"""The Absences page: a person's absences, recording one and ending one (the person, their unit head, the
administrator); the same use cases as the JSON API (web/absence_api.py)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required

from forms.validate import Message
from processes.university_time import today_local
from processes.usecases import absences, deploy
from processes.usecases.errors import Conflict, Invalid
from storage.models import utcnow
from web import messages
from web.unit_of_work import ctx

bp = Blueprint("absences", __name__)


def _page(person: str | None, errors: dict[str, Message] | None = None, conflict: str | None = None,
          values: dict | None = None, status: int = 200):
    c = ctx()
    rows = absences.list_absences(c, person)
    shown = person or c.me.username
    return render_template(
        "absences.html", rows=rows, person=shown, people=absences.manageable_users(c),
        substitutes=absences.substitute_choices(c), processes=deploy.list_current(c.session),
        today=today_local(utcnow()), errors=messages.field_errors(errors or {}),
        summary=messages.summary(errors or {}), conflict=conflict, values=values or {}), status


@bp.get("/absences")
@login_required
def page():
    return _page(request.args.get("user") or None)


@bp.post("/absences")
@login_required
def record():
    form = request.form
    person = form.get("user") or None
    values = {"starts_on": form.get("starts_on", ""), "ends_on": form.get("ends_on", ""),
              "substitute": form.get("substitute", ""), "processes": form.getlist("processes"),
              "reason": form.get("reason", "")[:absences.REASON_MAX]}
    try:
        absences.record(ctx(), person, values["starts_on"], values["ends_on"], values["substitute"],
                        values["processes"], form.get("reason", ""))
    except Invalid as error:
        return _page(person, errors=error.errors, values=values, status=422)
    except Conflict as error:
        return _page(person, conflict=messages.render(error.message), values=values, status=409)
    return redirect(url_for("absences.page", user=person, done=1))


@bp.post("/absences/<id:absence_id>/end")
@login_required
def end(absence_id: int):
    row = absences.end(ctx(), absence_id)
    return redirect(url_for("absences.page", user=row.user.username, done=1))
