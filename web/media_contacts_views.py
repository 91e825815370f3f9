"""Units' responsible persons for media questions (§7.10.4): a unit's page (its head edits it), every unit's
for MCD and auditors, and the same as JSON."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from forms.validate import N_
from processes.usecases import media_contacts as mc
from processes.usecases.errors import Forbidden, Invalid, denied
from web import messages
from web.auth import api_auth
from web.process_pages import NavItem
from web.unit_of_work import ctx

bp = Blueprint("media_contacts", __name__)
# a unit head's menu item; MCD and auditors (whose menus are full) and heads named by a unit without a head
# role reach the contacts from the expert pool's pages
NAV = [NavItem("media_contacts.index", N_("Media contacts"),
               frozenset({"unit_head", "mcd_head", "mcd_specialist", "auditor"}), order=34, group="media")]
FORM_FIELDS = ("name", "position", "phone", "email", "user")


@bp.get("/media-contacts")
@login_required
def index():
    """MCD and auditors: every unit's contacts; a unit head: their unit's page."""
    c = ctx()
    if mc.may_read_all(c):
        return render_template("media_contacts/overview.html", rows=mc.overview(c),
                               headed={u.id for u in mc.headed_units(c)})
    headed = mc.headed_units(c)
    if len(headed) == 1:
        return redirect(url_for("media_contacts.unit", code=headed[0].code))
    if headed:
        return render_template("media_contacts/mine.html", units=headed)
    raise denied(Forbidden(N_("Only MCD, auditors and unit heads see units' media contacts.")),
                 "media_contacts", "read")


def _render_unit(c, code: str, *, errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                 editing: int | None = None, status: int = 200, summary: dict[str, str] | None = None):
    unit, contacts = mc.unit_contacts(c, code)
    return render_template("media_contacts/unit.html", unit=unit, contacts=contacts, may_edit=mc.may_edit(c, unit),
                           may_read_all=mc.may_read_all(c), errors=errors or {}, values=values or {},
                           editing=editing, summary=summary or {}, stale_after=mc.STALE_AFTER,
                           now=c.now()), status


@bp.get("/units/<code>/media-contacts")
@login_required
def unit(code: str):
    return _render_unit(ctx(), code)


def _form_body() -> dict[str, str]:
    return {k: request.form.get(k, "") for k in FORM_FIELDS}


@bp.post("/units/<code>/media-contacts")
@login_required
def add(code: str):
    c = ctx()
    body = _form_body()
    try:
        mc.add(c, code, body)
    except Invalid as error:
        return _render_unit(c, code, errors=messages.field_errors(error.errors), values=body, status=422,
                            summary=messages.summary(error.errors))
    flash(_("The contact was added."), "success")
    return redirect(url_for("media_contacts.unit", code=code), 303)


@bp.post("/units/<code>/media-contacts/<int:contact_id>")
@login_required
def edit(code: str, contact_id: int):
    c = ctx()
    body = _form_body()
    try:
        mc.edit(c, code, contact_id, body)
    except Invalid as error:
        return _render_unit(c, code, errors=messages.field_errors(error.errors), values=body, editing=contact_id,
                            status=422, summary=messages.summary(error.errors))
    flash(_("The contact was saved; the previous entry is kept in the history."), "success")
    return redirect(url_for("media_contacts.unit", code=code), 303)


@bp.post("/units/<code>/media-contacts/<int:contact_id>/remove")
@login_required
def remove(code: str, contact_id: int):
    mc.remove(ctx(), code, contact_id)
    flash(_("The contact was removed; the entry is kept in the history."), "success")
    return redirect(url_for("media_contacts.unit", code=code), 303)


@bp.post("/units/<code>/media-contacts/<int:contact_id>/confirm")
@login_required
def confirm(code: str, contact_id: int):
    mc.confirm(ctx(), code, contact_id)
    flash(_("Confirmed as current."), "success")
    return redirect(url_for("media_contacts.unit", code=code), 303)


# --- JSON API ----------------------------------------------------------------------------------------

def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="The body must be a JSON object (Content-Type: application/json).")
    return body


@bp.get("/api/v1/units/<code>/media-contacts")
@api_auth
def api_unit(code: str):
    _, contacts = mc.unit_contacts(ctx(), code)
    return jsonify([mc.contact_json(x) for x in contacts])


@bp.post("/api/v1/units/<code>/media-contacts")
@api_auth
def api_add(code: str):
    return jsonify(mc.contact_json(mc.add(ctx(), code, _json_body()))), 201


@bp.patch("/api/v1/units/<code>/media-contacts/<int:contact_id>")
@api_auth
def api_edit(code: str, contact_id: int):
    """A new entry supersedes the old one: the answer is the new entry (a new id)."""
    return jsonify(mc.contact_json(mc.edit(ctx(), code, contact_id, _json_body())))


@bp.delete("/api/v1/units/<code>/media-contacts/<int:contact_id>")
@api_auth
def api_remove(code: str, contact_id: int):
    row = mc.remove(ctx(), code, contact_id)
    return jsonify({**mc.contact_json(row), "ended_at": row.ended_at.isoformat() if row.ended_at else None})


@bp.post("/api/v1/units/<code>/media-contacts/<int:contact_id>/confirm")
@api_auth
def api_confirm(code: str, contact_id: int):
    return jsonify(mc.contact_json(mc.confirm(ctx(), code, contact_id)))


@bp.get("/api/v1/media-contacts")
@api_auth
def api_all():
    """Every unit's current contacts (MCD and auditors)."""
    rows = mc.overview(ctx())
    return jsonify([mc.contact_json(x) for r in rows for x in r.contacts])


CSRF_EXEMPT = [api_unit, api_add, api_edit, api_remove, api_confirm, api_all]


def openapi_parts() -> tuple[dict[str, Any], dict[str, Any]]:
    """The units' media contacts in the OpenAPI document (§7.10.4)."""
    from web.openapi import ERR, id_param, ok, ref

    body = {"required": True, "content": {"application/json": {"schema": ref("MediaContactInput")}}}
    unit = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
    listed = {"type": "array", "items": ref("MediaContact")}
    refused = {"409": ERR, "422": ERR}
    paths = {
        "/api/v1/media-contacts": {"get": {
            "summary": "Every unit's current media contacts (MCD, auditors)",
            "responses": ok("Contacts", listed)}},
        "/api/v1/units/{code}/media-contacts": {
            "get": {"summary": "A unit's current media contacts (its head, MCD, auditors)", "parameters": [unit],
                    "responses": ok("Contacts", listed)},
            "post": {"summary": "Add a media contact (the unit's head)", "parameters": [unit], "requestBody": body,
                     "responses": {**ok("The new contact", ref("MediaContact"), "201"), **refused}}},
        "/api/v1/units/{code}/media-contacts/{contact_id}": {
            "patch": {"summary": "Change a contact: a new entry supersedes it (the unit's head)",
                      "parameters": [unit, id_param("contact_id")], "requestBody": body,
                      "responses": {**ok("The new entry", ref("MediaContact")), **refused}},
            "delete": {"summary": "End a contact (nothing is deleted: it is kept as ended)",
                       "parameters": [unit, id_param("contact_id")],
                       "responses": {**ok("The ended contact", ref("MediaContact")), **refused}}},
        "/api/v1/units/{code}/media-contacts/{contact_id}/confirm": {"post": {
            "summary": "Confirm a contact is still current (resets the yearly flag)",
            "parameters": [unit, id_param("contact_id")],
            "responses": {**ok("The contact", ref("MediaContact")), **refused}}},
    }
    s = {"type": "string"}
    schemas = {
        "MediaContact": {"type": "object", "properties": {
            "id": {"type": "integer"}, "unit": s, "name": s, "position": s, "phone": s, "email": s,
            "user": {"type": ["string", "null"]}, "created_at": {"type": "string", "format": "date-time"},
            "confirmed_at": {"type": "string", "format": "date-time"}, "stale": {"type": "boolean"}}},
        "MediaContactInput": {"type": "object", "properties": {
            "name": s, "position": s, "phone": s, "email": s, "user": {"type": ["string", "null"]}}},
    }
    return paths, schemas
