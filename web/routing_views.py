"""Routing tables as pages (issue 12, point 3): the administrator reads and edits each decision table
(`/admin/routing/...`, on the administration blueprint); everyone asks who would approve a case today
(`/routing/who`). The same use cases as the JSON API (web/routing_api.py)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required

from forms.validate import N_, Message
from processes.usecases import admin, routing_tables
from processes.usecases.errors import Conflict, Invalid, NotFound
from web import messages
from web.admin_views import bp as admin_bp
from web.unit_of_work import ctx

bp = Blueprint("routing", __name__)
NEW = "new"


@bp.app_template_global()
def routing_title(decision: str) -> str:
    """A routing table's title in the page's language (a case page names the version it follows)."""
    found = routing_tables.specs().get(decision)
    return gettext(found[1].title) if found else decision


@admin_bp.get("/routing")
@login_required
def routing():
    c = ctx()
    admin.require_admin(c)
    tables = routing_tables.overview(c)
    return render_template("routing/index.html", tables=tables,
                           authors=routing_tables.authors(c, [t.current for t in tables]))


def _situations(c, row, spec) -> list[dict[str, Any]]:
    """Each situation with the rule that decides it in `row` (None: no rule, or several)."""
    table = routing_tables.table(row)
    numbers = {r.id: n for n, r in enumerate(table.rules, start=1)}
    found = []
    for case in spec.cases:
        matched = routing_tables.evaluate_case(c, row, case)
        rule = next((r for r in table.rules if len(matched) == 1 and r.id == matched[0]), None)
        found.append({"case": case, "rule": rule, "number": numbers.get(rule.id) if rule else None,
                      "role": routing_tables.role_of(rule) if rule else None, "matched": len(matched)})
    return found


def _table_page(decision: str, *, errors: dict[str, Message] | None = None, conflict: str | None = None,
                draft: list[dict[str, Any]] | None = None, reason: str = "", status: int = 200,
                number: int | None = None):
    c = ctx()
    admin.require_admin(c)
    kind, spec = routing_tables.spec_of(decision)
    history = routing_tables.history(c, decision)
    current = history[0]
    shown = current if number is None else next((v for v in history if v.version == number), None)
    if shown is None:
        raise NotFound(N_("No such version of the routing table."))
    table = routing_tables.table(shown)
    rows = draft if draft is not None else [
        {"id": r.id, "inputs": list(r.inputs), "output": routing_tables.role_of(r)} for r in table.rules]
    return render_template(
        "routing/table.html", kind=kind, spec=spec, table=table, shown=shown, current=current, history=history,
        rows=rows, situations=_situations(c, shown, spec), errors=messages.field_errors(errors or {}),
        summary=messages.summary(errors or {}), conflict=conflict, reason=reason,
        editing=number is None, done=request.args.get("done"), authors=routing_tables.authors(c, history)), status


@admin_bp.get("/routing/<decision>")
@login_required
def routing_table(decision: str):
    return _table_page(decision)


@admin_bp.get("/routing/<decision>/versions/<int:number>")
@login_required
def routing_version(decision: str, number: int):
    return _table_page(decision, number=number)


def _rules_from_form(decision: str) -> list[dict[str, Any]]:
    """The edit form's rows: `input-<rule>-<column>` and `output-<rule>` per kept rule (`remove-<rule>`
    drops it), and the `new` row when an approver is chosen for it."""
    c = ctx()
    _, spec = routing_tables.spec_of(decision)
    table = routing_tables.table(routing_tables.current(c, decision))
    form = request.form
    rules = []
    for rule in table.rules:
        if form.get(f"remove-{rule.id}"):
            continue
        rules.append({"id": rule.id,
                      "inputs": [form.get(f"input-{rule.id}-{col.id}", "") for col in table.inputs],
                      "output": form.get(f"output-{rule.id}", "")})
    if form.get(f"output-{NEW}"):
        rules.append({"inputs": [form.get(f"input-{NEW}-{col.id}", "-") for col in table.inputs],
                      "output": form.get(f"output-{NEW}", "")})
    return rules


@admin_bp.post("/routing/<decision>")
@login_required
def save_routing(decision: str):
    c = ctx()
    admin.require_admin(c)
    rules = _rules_from_form(decision)
    reason = request.form.get("reason", "")
    raw = request.form.get("base_version", "")
    base = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    try:
        routing_tables.save(c, decision, rules, reason, base)
    except Invalid as error:
        return _table_page(decision, errors=error.errors, draft=rules, reason=reason, status=422)
    except Conflict as error:
        return _table_page(decision, conflict=messages.render(error.message), reason=reason, status=409)
    return redirect(url_for("admin.routing_table", decision=decision, done=1))


@bp.get("/routing/who")
@login_required
def who():
    """Who would approve: pick a table's question and a situation; the answer names the person and why."""
    c = ctx()
    specs = routing_tables.specs()
    decision = request.args.get("decision") or next(iter(sorted(specs, key=lambda d: specs[d][0].order)), None)
    case = request.args.get("case") or None
    answer, error = None, None
    if decision is not None and decision not in specs:
        decision, error = None, "decision"
    if decision is not None and case is not None:
        try:
            answer = routing_tables.explain(c, decision, case)
        except Invalid:
            error = "case"
    tables = sorted(specs.values(), key=lambda ks: (ks[0].order, ks[1].decision))
    status = 400 if error else 200
    return render_template("routing/who.html", tables=tables, decision=decision, case=case, answer=answer,
                           error=error), status
