"""JSON API v1, the audit trail's exports (issue 14, part 5): the filtered trail as CSV or as one JSON
array, streamed, for auditors; the same filters as `GET /api/v1/audit/events` (web/audit_filters.py)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from processes.usecases import queries
from web import audit_filters
from web.audit_views import export
from web.auth import api_auth
from web.unit_of_work import ctx

bp = Blueprint("audit_api", __name__, url_prefix="/api/v1")


@bp.get("/audit/events.csv")
@api_auth
def events_csv():
    queries.require_auditor(ctx())
    return export("csv", audit_filters.api_filters())


@bp.get("/audit/events.json")
@api_auth
def events_json():
    queries.require_auditor(ctx())
    return export("json", audit_filters.api_filters())


def openapi_parts() -> tuple[dict[str, Any], dict[str, Any]]:
    from web.openapi import ERR, ID, datetime_param

    params = [{"name": "instance", "in": "query", "required": False, "schema": ID},
              {"name": "actor", "in": "query", "required": False, "schema": {"type": "string"},
               "description": "a username, exactly"},
              {"name": "action", "in": "query", "required": False, "schema": {"type": "string"}},
              {"name": "object", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 100},
               "description": "the beginning of the entry's object, e.g. `user:` or `instance:12`"},
              {"name": "clause", "in": "query", "required": False, "schema": {"type": "string"},
               "description": "a clause of the policy (`§12`, `12.3`): the entries under it and its sub-clauses "
                              "(§12 matches §12, §12.1, §12.3.2, not §120); not a clause number → 400"},
              datetime_param("since", "entries at or after"), datetime_param("until", "entries before")]
    headers = {"Content-Disposition": {"description": "attachment; filename=kelisim-audit-<instance or all>-"
                                                      "<last seq>.<csv|json>", "schema": {"type": "string"}},
               "X-Total-Count": {"description": "the entries in the export", "schema": {"type": "integer"}}}

    def export_path(kind: str, media: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"get": {
            "summary": f"The filtered audit trail as {kind}, in chain order, streamed (auditors)",
            "description": "Covers the entries up to the moment of the request; the export is itself audited "
                           "(`audit_exported` with its format, filters, last seq and count).",
            "parameters": params,
            "responses": {"200": {"description": kind, "headers": headers, "content": {media: {"schema": schema}}},
                          "400": ERR, "401": ERR, "403": ERR}}}

    return ({"/api/v1/audit/events.csv": export_path(
        "CSV", "text/csv", {"type": "string", "description": "one row per entry; a cell a spreadsheet would read "
                                                              "as a formula starts with '"}),
             "/api/v1/audit/events.json": export_path(
        "JSON", "application/json", {"type": "array", "items": {"$ref": "#/components/schemas/ExportedEvent"}})},
            {"ExportedEvent": {"type": "object", "description": "an Event plus every stored field of the entry",
                               "properties": {k: {} for k in (
                                   "seq", "at", "actor", "role", "action", "instance_id", "task", "object",
                                   "data", "comment", "clause", "request_id", "prev_hash", "hash", "acting_for",
                                   "damaged")}}})
