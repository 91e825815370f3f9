"""Deadlines at a glance (issue 14, part 7): the page `/dashboard` and `GET /api/v1/dashboard` for MCD, the
rector's office and auditors. The figures come from processes/usecases/dashboard.py; the charts are drawn
here as SVG on the server (processes/charts.py) with the page's language, and the page puts the same
numbers in tables next to them."""
from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup

from processes import charts
from processes.usecases import dashboard
from processes.usecases.access import reads_everything
from processes.usecases.context import Ctx
from web.auth import api_auth
from web.labels import ProcessLabels
from web.unit_of_work import ctx

bp = Blueprint("dashboard", __name__)
api_bp = Blueprint("dashboard_api", __name__, url_prefix="/api/v1")
STATES = ("overdue", "due_soon", "on_time", "no_deadline")


def _process_arg() -> str | None:
    """The `process` filter: empty = all; an unknown key is refused with 400, never silently dropped."""
    key = (request.args.get("process") or "").strip() or None
    if key is not None and key not in ProcessLabels().keys():
        abort(400, description=_("Unknown process: %(key)s.", key=key))
    return key


def _series() -> list[charts.Series]:
    """The states of a case, told apart by lightness (dark, striped, light, white with a dashed outline)
    as well as by hue, and named in the legend and in the line under each bar."""
    return [charts.Series("overdue", _("Overdue"), "#8e1b1b", text_fill="#ffffff"),
            charts.Series("due_soon", _("Due soon"), "#f0b429", text_fill="#1f2933", hatch="#b7791f"),
            charts.Series("on_time", _("On time"), "#a8dab5", text_fill="#1f2933"),
            charts.Series("no_deadline", _("No deadline"), "#ffffff", text_fill="#1f2933", stroke="#52606d",
                          dashed=True)]


def hours_text(hours: float, locale: str) -> str:
    """A duration in elapsed hours, one decimal ("26,5 h" / "26,5 сағ" as the language writes it)."""
    return _("%(n)s h", n=format_decimal(round(hours, 1), format="#,##0.0", locale=locale))


def month_name(first: date, locale: str) -> str:
    return format_date(first, "LLLL y", locale=locale)


def _charts(d: dashboard.Dashboard, labels: ProcessLabels, locale: str) -> dict[str, Markup]:
    """The three charts as inline SVG; every text in them is escaped by processes/charts.py."""
    series = _series()
    open_rows = [(str(labels.process(o.process)), [getattr(o, s) for s in STATES]) for o in d.open]
    totals = sum(o.total for o in d.open)
    cases = charts.stacked_bars(
        open_rows, series, chart_id="chart-open", title=_("Open cases per process"), total_label=_("Open cases"),
        desc=_("Open cases: %(total)s. Each bar is one process: overdue, due soon, on time and without a deadline.",
               total=totals))
    per_month = d.breaches_per_month()
    columns = []
    for k, first in enumerate(d.months):
        sub = str(first.year) if k == 0 or first.month == 1 else ""
        columns.append((format_date(first, "LLL", locale=locale), sub, per_month[k]))
    months = charts.columns(
        columns, chart_id="chart-breaches", title=_("Breaches per month"),
        desc=_("Deadlines missed in each of the last 12 months, %(first)s to %(last)s: %(total)s in all.",
               first=month_name(d.months[0], locale), last=month_name(d.months[-1], locale), total=sum(per_month)))
    many = len(d.processes) > 1
    items = []
    for s in d.steps:
        name = str(labels.task(s.task, process=s.process))
        if many:
            name = f"{name} · {labels.process(s.process)}"
        items.append((name, s.median_hours, hours_text(s.median_hours, locale)))
    steps = charts.bars(items, chart_id="chart-steps", title=_("Median time per step"),
                        desc=_("Median elapsed hours from a task's creation to its completion, tasks completed "
                               "in the last 90 days.") if items else _("No task was completed in the last 90 days."))
    # processes/charts.py escapes every text it draws and draws no script nor external resource
    return {"open": Markup(cases), "breaches": Markup(months), "steps": Markup(steps)}  # noqa: S704


def _links(c: Ctx, d: dashboard.Dashboard) -> dict[str, str]:
    """The list each process's open cases are counted from, for those who may open it: the auditors'
    all-instances list filtered by process and status (its other filters do not select by deadline, so
    the segments get no link)."""
    if c.user is None or not reads_everything(c.user):
        return {}
    return {o.process: url_for("audit.instances", process=o.process, status="running") for o in d.open}


@bp.get("/dashboard")
@login_required
def page():
    process = _process_arg()
    c = ctx()
    d = dashboard.figures(c, process)
    locale = str(get_locale() or "kk")
    labels = ProcessLabels()
    return render_template("dashboard.html", d=d, flt_process=process, charts=_charts(d, labels, locale),
                           links=_links(c, d), months=[month_name(m, locale) for m in d.months],
                           hours=lambda h: hours_text(h, locale), states=STATES,
                           state_labels={s.key: s.label for s in _series()})


# --- JSON API ---------------------------------------------------------------------------------------

def as_json(d: dashboard.Dashboard) -> dict[str, Any]:
    return {
        "as_of": d.as_of.isoformat(),
        "due_soon_until": d.soon_until.isoformat(),
        "open": [{"process": o.process, "overdue": o.overdue, "due_soon": o.due_soon, "on_time": o.on_time,
                  "no_deadline": o.no_deadline, "total": o.total} for o in d.open],
        "breaches": {"months": [m.strftime("%Y-%m") for m in d.months],
                     "by_process": [{"process": key, "counts": d.breaches[key]} for key in d.processes],
                     "total": d.breaches_per_month()},
        "steps": {"since": d.step_since.isoformat() if d.step_since else None, "unit": "hours",
                  "items": [{"process": s.process, "task": s.task, "median_hours": round(s.median_hours, 2),
                             "count": s.count} for s in d.steps]},
    }


@api_bp.get("/dashboard")
@api_auth
def api_dashboard():
    """The dashboard's figures as of now (MCD, the rector's office, auditors)."""
    return jsonify(as_json(dashboard.figures(ctx(), _process_arg())))


def openapi_parts() -> tuple[dict[str, Any], dict[str, Any]]:
    from web.openapi import array, ok, ref

    i, s = {"type": "integer"}, {"type": "string"}
    moment = {"type": "string", "format": "date-time"}
    counts = {"type": "array", "items": i, "description": "one count per month of `months`, oldest first"}
    return ({"/api/v1/dashboard": {"get": {
        "summary": "Deadlines at a glance: open cases against their deadlines, breaches per month, median time "
                   "per step (MCD, the rector's office, auditors)",
        "parameters": [{"name": "process", "in": "query", "required": False, "schema": s,
                        "description": "one process key; absent or empty = every process; unknown → 400"}],
        "responses": ok("The figures as of now", ref("Dashboard"))}}},
        {"Dashboard": {"type": "object", "properties": {
            "as_of": moment,
            "due_soon_until": {**moment, "description": "due soon: a deadline after `as_of` and at or before "
                                                        "this moment (the end of the 2nd working day after "
                                                        "today, Almaty)"},
            "open": array("DashboardOpen"),
            "breaches": {"type": "object", "properties": {
                "months": {"type": "array", "items": s, "description": "YYYY-MM, the last 12 Almaty months"},
                "by_process": {"type": "array", "items": {"type": "object", "properties": {
                    "process": s, "counts": counts}}},
                "total": counts}},
            "steps": {"type": "object", "properties": {
                "since": moment, "unit": {**s, "description": "hours: elapsed, creation to completion"},
                "items": {"type": "array", "items": {"type": "object", "properties": {
                    "process": s, "task": s, "median_hours": {"type": "number"}, "count": i}}}}}}},
         "DashboardOpen": {"type": "object", "properties": {
             "process": s, "overdue": i, "due_soon": i, "on_time": i, "no_deadline": i, "total": i}}})
