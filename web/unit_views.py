"""Units as pages (issue 12, point 2), on the administration blueprint: the tree with a form for a new unit
(`/admin/units`), and a unit's page (`/admin/units/<code>`): its names, kind and head, its place in the
tree, its members and who belonged to it when. Administrators only; the same use cases as web/unit_api.py."""
from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from processes.usecases import admin, units
from processes.usecases.errors import Conflict, Invalid
from storage.models import Unit, User
from web import messages
from web.admin_views import bp
from web.unit_of_work import ctx


def _lang() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None and locale.language in units.LANGS else "kk"


def _active_people(c) -> list[User]:
    return list(c.session.execute(select(User).where(User.is_active.is_(True)).order_by(User.full_name))
                .scalars().unique())


def _body(*, creating: bool, fields: tuple[str, ...] = ("name", "kind", "head")) -> dict[str, Any]:
    """The form's fields in the JSON API's shape (units._validate checks them)."""
    form = request.form
    body: dict[str, Any] = {}
    if "name" in fields:
        body["name"] = {lang: form.get(f"name_{lang}", "") for lang in units.LANGS}
    if "kind" in fields:
        body["kind"] = form.get("kind", "")
    if "head" in fields:
        body["head"] = form.get("head", "")
    if "parent" in fields:
        body["parent"] = form.get("parent", "")
    if creating:
        body["code"] = form.get("code", "")
    return body


def _typed() -> dict[str, Any]:
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


@bp.route("/units", methods=["GET", "POST"], endpoint="units")
@login_required
def units_page():
    """The tree of units; a POST creates a unit (then its page), a refusal shows the form again."""
    c = ctx()
    admin.require_admin(c)
    errors: Invalid | None = None
    refusal: str | None = None
    status = 200
    if request.method == "POST":
        try:
            unit = units.create_unit(c, _body(creating=True, fields=("name", "kind", "head", "parent")))
        except Invalid as error:
            errors, status = error, 422
        except Conflict as error:  # a taken code, the university under a unit: the form again, with why
            refusal, status = messages.render(error.message), 409
        else:
            return redirect(url_for("admin.unit", code=unit.code, created=1))
    return render_template(
        "admin_units.html", rows=units.tree(c, _lang()), kinds=units.KINDS, people=_active_people(c),
        values=_typed() if errors or refusal else {"kind": "department"}, refusal=refusal,
        errors=messages.field_errors(errors.errors) if errors else {},
        summary=messages.summary(errors.errors) if errors else {}), status


def _unit_page(c, unit: Unit, *, errors: Invalid | None = None, move_errors: Invalid | None = None,
               refusal: Any = None, status: int = 200):
    rows = units.tree(c, _lang())
    below = _below(rows, unit)
    values = _typed() if errors else {
        "name_kk": unit.name_kk, "name_ru": unit.name_ru, "name_en": unit.name_en, "kind": unit.kind,
        "head": unit.head.username if unit.head else ""}
    return render_template(
        "admin_unit.html", unit=unit, kinds=units.KINDS, people=_active_people(c), values=values,
        head=units.head_of(c, unit), members=units.members(c, unit),
        memberships=units.unit_memberships(c, unit), places=units.parent_history(c, unit),
        parents=[r for r in rows if r.unit.id not in below], codes={r.unit.id: r.unit for r in rows},
        movable=unit.kind != units.ROOT_KIND,
        errors=messages.field_errors(errors.errors) if errors else {},
        summary=messages.summary(shown.errors) if (shown := errors or move_errors) is not None else {},
        move_errors=messages.field_errors(move_errors.errors) if move_errors else {},
        refusal=refusal), status


def _below(rows: list[units.TreeRow], unit: Unit) -> set[int]:
    """The unit and every unit under it (the tree is depth-first)."""
    found: set[int] = set()
    depth = None
    for row in rows:
        if depth is not None:
            if row.depth <= depth:
                break
            found.add(row.unit.id)
        elif row.unit.id == unit.id:
            depth = row.depth
            found.add(unit.id)
    return found


@bp.route("/units/<code>", methods=["GET", "POST"], endpoint="unit")
@login_required
def unit_page(code: str):
    """A unit: edit its names, kind and head."""
    c = ctx()
    unit = units.get_unit(c, code)
    if request.method == "GET":
        return _unit_page(c, unit)
    try:
        units.update_unit(c, code, _body(creating=False))
    except Invalid as error:
        return _unit_page(c, unit, errors=error, status=422)
    except Conflict as error:
        return _unit_page(c, unit, refusal=messages.render(error.message), status=409)
    return redirect(url_for("admin.unit", code=code, done=1))


@bp.post("/units/<code>/move", endpoint="move_unit")
@login_required
def move_unit(code: str):
    """Place the unit under another (or at the top); a refusal (a cycle, the university) shows why."""
    c = ctx()
    unit = units.get_unit(c, code)
    try:
        units.move_unit(c, code, request.form.get("parent", ""))
    except Invalid as error:
        return _unit_page(c, unit, move_errors=error, status=422)
    except Conflict as error:
        return _unit_page(c, unit, refusal=messages.render(error.message), status=409)
    return redirect(url_for("admin.unit", code=code, moved=1))
