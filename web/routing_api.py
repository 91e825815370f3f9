"""JSON API v1, routing tables (issue 12, point 3): read them (administrators, auditors), save a new version
(administrators), and ask who would approve a situation today (everyone signed in)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request

from processes.usecases import routing_tables
from storage.models import DecisionVersion
from web.auth import api_auth
from web.unit_of_work import ctx

bp = Blueprint("routing_api", __name__, url_prefix="/api/v1")

SAVE_FIELDS = {"rules", "reason", "base_version"}


def version_json(row: DecisionVersion, *, rules: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {"decision": row.decision, "version": row.version, "checksum": row.checksum,
                             "source": row.source, "created_by": row.created_by,
                             "created_at": row.created_at.isoformat(), "reason": row.reason}
    if rules:
        table = routing_tables.table(row)
        found["inputs"] = [{"id": col.id, "expression": col.expression} for col in table.inputs]
        found["rules"] = [{"id": r.id, "inputs": list(r.inputs), "output": routing_tables.role_of(r)}
                          for r in table.rules]
    return found


@bp.get("/admin/routing")
@api_auth
def list_tables():
    return jsonify([{"decision": o.spec.decision, "process": o.kind.key, "clause": o.spec.clause,
                     "versions": o.versions, "current": version_json(o.current)}
                    for o in routing_tables.overview(ctx())])


@bp.get("/admin/routing/<decision>")
@api_auth
def get_table(decision: str):
    """The version in force with its rules, and every version (newest first)."""
    c = ctx()
    history = routing_tables.history(c, decision)
    _, spec = routing_tables.spec_of(decision)
    return jsonify({**version_json(history[0], rules=True),
                    "choices": {"inputs": {k: [text for text, _ in v] for k, v in spec.entries.items()},
                                "outputs": list(spec.roles)},
                    "versions": [version_json(v) for v in history]})


@bp.get("/admin/routing/<decision>/versions/<id:number>")
@api_auth
def get_version(decision: str, number: int):
    return jsonify(version_json(routing_tables.version(ctx(), decision, number), rules=True))


@bp.post("/admin/routing/<decision>/versions")
@api_auth
def save_version(decision: str):
    """201 with the new version: `{"rules": [{"id"?, "inputs": [...], "output": role}], "reason",
    "base_version"}` (the version edited: another saved meanwhile → 409)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="The body must be a JSON object (Content-Type: application/json).")
    unknown = sorted(set(body) - SAVE_FIELDS)
    if unknown:
        abort(400, description=f"Unknown fields: {', '.join(unknown)}.")
    row = routing_tables.save(ctx(), decision, body.get("rules"), body.get("reason"), body.get("base_version"))
    return jsonify(version_json(row, rules=True)), 201


@bp.get("/routing/<decision>/explain")
@api_auth
def explain(decision: str):
    """Who would receive a case in situation `case` if the caller submitted it today, and why."""
    case = request.args.get("case", "")
    a = routing_tables.explain(ctx(), decision, case)
    return jsonify({"decision": decision, "case": a.case.key, "version": a.version.version, "rule": a.rule.id,
                    "rule_number": a.rule_number, "role": a.role,
                    "holder": a.holder.username if a.holder else None,
                    "person": a.person.username if a.person else None,
                    "acting_for": a.acting_for.username if a.acting_for else None,
                    "own_submission": a.own_submission, "queue_reason": a.failure,
                    "holders": [u.username for u in a.holders]})


# --- OpenAPI ---------------------------------------------------------------------------------------

def openapi_parts() -> tuple[dict[str, Any], dict[str, Any]]:
    """The paths and schemas of this API, for web/openapi.py."""
    from web.openapi import ERR, ok, ref

    s = {"type": "string"}
    decision = {"name": "decision", "in": "path", "required": True, "schema": s}
    number = {"name": "number", "in": "path", "required": True,
              "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
    rule = {"type": "object", "required": ["inputs", "output"], "additionalProperties": False,
            "properties": {"id": s, "inputs": {"type": "array", "items": s}, "output": s}}
    invalid = {"description": "Invalid rules, or a situation decided by no rule or by several",
               "content": {"application/json": {"schema": ref("ValidationError")}}}
    paths = {
        "/api/v1/admin/routing": {
            "get": {"summary": "The routing tables with their version in force (administrators, auditors)",
                    "responses": ok("Tables", {"type": "array", "items": {"type": "object"}})}},
        "/api/v1/admin/routing/{decision}": {
            "get": {"summary": "A routing table in force with its rules, the choices an edit may make, and "
                               "every version", "parameters": [decision],
                    "responses": {**ok("Table", ref("RoutingVersion")), "404": ERR}}},
        "/api/v1/admin/routing/{decision}/versions": {
            "post": {"summary": "Save a new version of the table (administrators): checked so that every "
                                "situation is decided by exactly one rule; cases started afterwards use it",
                     "parameters": [decision],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["rules", "reason"], "additionalProperties": False,
                         "properties": {"rules": {"type": "array", "items": rule}, "reason": s,
                                        "base_version": {"type": "integer"}}}}}},
                     "responses": {**ok("Saved", ref("RoutingVersion"), "201"), "409": ERR, "422": invalid}}},
        "/api/v1/admin/routing/{decision}/versions/{number}": {
            "get": {"summary": "One version of a routing table", "parameters": [decision, number],
                    "responses": {**ok("Version", ref("RoutingVersion")), "404": ERR}}},
        "/api/v1/routing/{decision}/explain": {
            "get": {"summary": "Who would receive a case in a situation if the caller submitted it today, and why",
                    "parameters": [decision, {"name": "case", "in": "query", "required": True, "schema": s}],
                    "responses": {**ok("Answer", {"type": "object"}), "422": invalid}}},
    }
    version = {"type": "object", "properties": {
        "decision": s, "version": {"type": "integer"}, "checksum": s, "source": {"enum": ["file", "admin"]},
        "created_by": {"type": ["string", "null"]}, "created_at": {"type": "string", "format": "date-time"},
        "reason": s, "rules": {"type": "array", "items": rule}}}
    return paths, {"RoutingVersion": version}
