"""JSON API v1, administration: units (issue 12, point 2), administrators only — the tree, a new unit, a
change (a `parent` given moves the unit), and who belonged to a unit and where it stood when."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request

from processes.usecases import units
from storage.models import UnitMembership, UnitParentHistory
from web.auth import api_auth
from web.unit_of_work import ctx

bp = Blueprint("unit_api", __name__, url_prefix="/api/v1/admin")

CREATE_FIELDS = {"code", "name", "kind", "parent", "head"}
PATCH_FIELDS = CREATE_FIELDS - {"code"}


def _when(value) -> str | None:
    return value.isoformat() if value else None


def _body(allowed: set[str]) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="The body must be a JSON object (Content-Type: application/json).")
    unknown = sorted(set(body) - allowed)
    if unknown:
        abort(400, description=f"Unknown fields: {', '.join(unknown)}.")
    return body


def _unit_json(c, code: str) -> dict[str, Any]:
    unit = units.get_unit(c, code)
    codes = {u.id: u.code for u in units.all_units(c)}
    head = units.head_of(c, unit)
    return {**units.as_json(unit, codes), "acting_head": head.username if head else None}


@bp.get("/units")
@api_auth
def list_units():
    """Every unit, each after its parent (depth-first), with its depth and active members' count."""
    c = ctx()
    rows = units.tree(c)
    codes = {r.unit.id: r.unit.code for r in rows}
    return jsonify([{**units.as_json(r.unit, codes), "depth": r.depth, "members": r.members,
                     "acting_head": r.head.username if r.head else None} for r in rows])


@bp.post("/units")
@api_auth
def create_unit():
    c = ctx()
    unit = units.create_unit(c, _body(CREATE_FIELDS))
    return jsonify(_unit_json(c, unit.code)), 201


@bp.get("/units/<code>")
@api_auth
def get_unit(code: str):
    return jsonify(_unit_json(ctx(), code))


@bp.patch("/units/<code>")
@api_auth
def update_unit(code: str):
    """The names, kind and head given; a `parent` given moves the unit (null: to the top)."""
    c = ctx()
    units.update_unit(c, code, _body(PATCH_FIELDS))
    return jsonify(_unit_json(c, code))


def membership_json(m: UnitMembership) -> dict[str, Any]:
    return {"user": m.user.username, "unit": m.unit.code, "started_at": _when(m.started_at),
            "ended_at": _when(m.ended_at), "recorded_by": m.recorded_by}


def place_json(p: UnitParentHistory) -> dict[str, Any]:
    return {"parent": p.parent.code if p.parent else None, "started_at": _when(p.started_at),
            "ended_at": _when(p.ended_at), "recorded_by": p.recorded_by}


@bp.get("/units/<code>/history")
@api_auth
def history(code: str):
    """Who belonged to the unit when, and where it stood in the tree when, the latest first."""
    c = ctx()
    unit = units.get_unit(c, code)
    return jsonify({"code": unit.code,
                    "memberships": [membership_json(m) for m in units.unit_memberships(c, unit)],
                    "parents": [place_json(p) for p in units.parent_history(c, unit)]})


# --- OpenAPI ---------------------------------------------------------------------------------------

def openapi_parts() -> tuple[dict[str, Any], dict[str, Any]]:
    """The paths and schemas of this API, for web/openapi.py."""
    from web.openapi import ERR, ok, ref

    names = {"type": "object", "additionalProperties": False,
             "properties": {lang: {"type": "string", "maxLength": units.MAX_NAME} for lang in units.LANGS}}
    fields = {"name": names, "kind": {"type": "string", "enum": list(units.KINDS)},
              "parent": {"type": ["string", "null"], "description": "the parent unit's code; null: at the top"},
              "head": {"type": ["string", "null"], "description": "the head's username; null: none named"}}
    invalid = {"description": "Invalid fields", "content": {"application/json": {"schema": ref("ValidationError")}}}
    code = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
    when = {"type": ["string", "null"], "format": "date-time"}
    paths = {
        "/api/v1/admin/units": {
            "get": {"summary": "The tree of units (administrators), each after its parent",
                    "responses": ok("Units", {"type": "array", "items": ref("AdminUnitRow")})},
            "post": {"summary": "Create a unit (administrators)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["code", "name", "kind"], "additionalProperties": False,
                         "properties": {"code": {"type": "string", "pattern": units.CODE.pattern}, **fields}}}}},
                     "responses": {**ok("Created", ref("AdminUnit"), "201"), "409": ERR, "422": invalid}}},
        "/api/v1/admin/units/{code}": {
            "get": {"summary": "One unit (administrators)", "parameters": [code],
                    "responses": ok("Unit", ref("AdminUnit"))},
            "patch": {"summary": "Change a unit's names, kind or head; a `parent` given moves it (administrators)",
                      "parameters": [code],
                      "requestBody": {"required": True, "content": {"application/json": {"schema": {
                          "type": "object", "additionalProperties": False, "properties": fields}}}},
                      "responses": {**ok("Unit", ref("AdminUnit")), "409": ERR, "422": invalid}}},
        "/api/v1/admin/units/{code}/history": {
            "get": {"summary": "Who belonged to the unit when, and where it stood in the tree when",
                    "parameters": [code],
                    "responses": ok("History", {"type": "object", "properties": {
                        "code": {"type": "string"},
                        "memberships": {"type": "array", "items": {"type": "object", "properties": {
                            "user": {"type": "string"}, "unit": {"type": "string"}, "started_at": when,
                            "ended_at": when, "recorded_by": {"type": ["string", "null"]}}}},
                        "parents": {"type": "array", "items": {"type": "object", "properties": {
                            "parent": {"type": ["string", "null"]}, "started_at": when, "ended_at": when,
                            "recorded_by": {"type": ["string", "null"]}}}}}})}},
    }
    unit: dict[str, Any] = {"type": "object", "properties": {
        "code": {"type": "string"}, **fields,
        "acting_head": {"type": ["string", "null"],
                        "description": "who heads it: the head named, else its one member with a head role"}}}
    schemas = {"AdminUnit": unit,
               "AdminUnitRow": {**unit, "properties": {**unit["properties"], "depth": {"type": "integer"},
                                                         "members": {"type": "integer"}}}}
    return paths, schemas
