"""JSON API v1, absences (docs/API.md "Absence and substitution"): record, list and end absences."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, jsonify, request

from processes.university_time import today_local
from processes.usecases import absences
from storage.models import Absence, utcnow
from web.auth import api_auth
from web.unit_of_work import ctx

bp = Blueprint("absence_api", __name__, url_prefix="/api/v1/absences")

FIELDS = {"user", "starts_on", "ends_on", "substitute", "processes", "reason"}


def absence_json(row: Absence) -> dict[str, Any]:
    return {"id": row.id, "user": row.user.username, "starts_on": row.starts_on.isoformat(),
            "ends_on": row.ends_on.isoformat(), "substitute": row.substitute.username,
            "processes": list(row.processes or []), "reason": row.reason,
            "created_by": row.created_by.username, "created_at": row.created_at.isoformat(),
            "ended_at": row.ended_at.isoformat() if row.ended_at else None,
            "in_force": absences.in_force(row, today_local(utcnow()))}


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
        abort(400, description=f"{name} must be an integer from {low} to {high}.")
    return int(raw)


@bp.post("")
@api_auth
def record():
    """201 with the absence; 422 invalid, 409 overlapping another absence of the person, 403 not theirs."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="The body must be a JSON object (Content-Type: application/json).")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        abort(400, description=f"Unknown fields: {', '.join(unknown)}.")
    row = absences.record(ctx(), body.get("user"), body.get("starts_on"), body.get("ends_on"),
                          body.get("substitute"), body.get("processes"), body.get("reason", ""))
    return jsonify(absence_json(row)), 201


@bp.get("")
@api_auth
def list_absences():
    """A person's absences (`user`, default the caller), newest first; `limit`, `cursor`, next page in `Link`."""
    limit = _int_arg("limit", 50, 1, 200)
    assert limit is not None
    cursor = _int_arg("cursor", None, 1, 2**31 - 1)
    user = request.args.get("user") or None
    rows = absences.list_absences(ctx(), user, before=cursor, limit=limit + 1)
    response = jsonify([absence_json(r) for r in rows[:limit]])
    if len(rows) > limit:
        query = urlencode({**({"user": user} if user else {}), "limit": limit, "cursor": rows[limit - 1].id})
        response.headers["Link"] = f'<{request.base_url}?{query}>; rel="next"'
    return response


@bp.delete("/<id:absence_id>")
@api_auth
def end(absence_id: int):
    """End the absence now (it is kept, with `ended_at`): 200 with it; 409 when it has ended already."""
    return jsonify(absence_json(absences.end(ctx(), absence_id)))


# --- OpenAPI ---------------------------------------------------------------------------------------

def openapi_parts() -> tuple[dict[str, Any], dict[str, Any]]:
    """The paths and schemas of this API, for web/openapi.py."""
    from web.openapi import ERR, ok, ref

    invalid = {"description": "Invalid fields", "content": {"application/json": {"schema": ref("ValidationError")}}}
    day = {"type": "string", "format": "date"}
    paths = {
        "/api/v1/absences": {
            "get": {"summary": "A person's absences (default: yours); the next page in the Link header",
                    "parameters": [
                        {"name": "user", "in": "query", "required": False, "schema": {"type": "string"}},
                        {"name": "limit", "in": "query", "required": False,
                         "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
                        {"name": "cursor", "in": "query", "required": False, "schema": {"type": "integer"}}],
                    "responses": {**ok("Absences", {"type": "array", "items": ref("Absence")}), "403": ERR,
                                  "404": ERR}},
            "post": {"summary": "Record an absence (yourself; an administrator or the unit's head for others)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["starts_on", "ends_on", "substitute"],
                         "additionalProperties": False,
                         "properties": {"user": {"type": "string"}, "starts_on": day, "ends_on": day,
                                        "substitute": {"type": "string"},
                                        "processes": {"type": "array", "items": {"type": "string"}},
                                        "reason": {"type": "string", "maxLength": 500}}}}}},
                     "responses": {**ok("Recorded", ref("Absence"), "201"), "403": ERR, "404": ERR, "409": ERR,
                                   "422": invalid}}},
        "/api/v1/absences/{absence_id}": {
            "delete": {"summary": "End an absence now (kept, with ended_at)",
                       "parameters": [{"name": "absence_id", "in": "path", "required": True,
                                       "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}],
                       "responses": {**ok("Ended", ref("Absence")), "401": ERR, "404": ERR, "409": ERR}}},
    }
    schemas = {"Absence": {"type": "object", "properties": {
        "id": {"type": "integer"}, "user": {"type": "string"}, "starts_on": day, "ends_on": day,
        "substitute": {"type": "string"}, "processes": {"type": "array", "items": {"type": "string"}},
        "reason": {"type": "string"}, "created_by": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "ended_at": {"type": ["string", "null"], "format": "date-time"}, "in_force": {"type": "boolean"}}}}
    return paths, schemas
