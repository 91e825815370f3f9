"""The OpenAPI 3.1 document of the JSON API v1 (served at /api/openapi.json)."""
from __future__ import annotations

from typing import Any

_ERR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(description: str, schema: dict[str, Any] | None = None, status: str = "200") -> dict[str, Any]:
    body: dict[str, Any] = {"description": description}
    if schema is not None:
        body["content"] = {"application/json": {"schema": schema}}
    return {status: body, "400": _ERR, "401": _ERR, "403": _ERR, "404": _ERR}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _id_param(name: str, kind: str = "integer") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _paths() -> dict[str, Any]:
    array = lambda name: {"type": "array", "items": _ref(name)}  # noqa: E731
    return {
        "/api/v1/tokens": {"post": {
            "summary": "Exchange username and password for a bearer token", "security": [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Credentials")}}},
            "responses": {"201": {"description": "Token", "content": {"application/json": {"schema": _ref("Token")}}},
                          "400": _ERR, "401": _ERR, "429": _ERR}}},
        "/api/v1/processes": {"get": {"summary": "Deployed processes",
                                      "responses": _ok("Processes", array("Process"))}},
        "/api/v1/processes/{key}/instances": {"post": {
            "summary": "Start an instance", "parameters": [_id_param("key", "string")],
            "responses": _ok("Started", _ref("Started"), "201")}},
        "/api/v1/instances/{id}": {"get": {"summary": "One instance", "parameters": [_id_param("id")],
                                           "responses": _ok("Instance", _ref("Instance"))}},
        "/api/v1/instances/{id}/events": {"get": {"summary": "The instance's audit entries, oldest first",
                                                  "parameters": [_id_param("id")],
                                                  "responses": _ok("Events", array("Event"))}},
        "/api/v1/instances/{id}/files": {"post": {
            "summary": "Attach a file", "parameters": [_id_param("id")],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"]}}}},
            "responses": {**_ok("Stored", _ref("File"), "201"), "413": _ERR, "422": _ERR}}},
        "/api/v1/tasks": {"get": {"summary": "The caller's ready tasks", "responses": _ok("Tasks", array("Task"))}},
        "/api/v1/tasks/{id}": {"get": {"summary": "A task with its form (JSON Schema) and prefill",
                                       "parameters": [_id_param("id", "string")],
                                       "responses": _ok("Task", _ref("TaskDetail"))}},
        "/api/v1/tasks/{id}/complete": {"post": {
            "summary": "Complete a task", "parameters": [_id_param("id", "string")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["data"], "additionalProperties": False,
                "properties": {"data": {"type": "object"}}}}}},
            "responses": {**_ok("Completed", _ref("Completed")), "409": _ERR,
                          "422": {"description": "Invalid data", "content": {"application/json": {
                              "schema": _ref("ValidationError")}}}}}},
        "/api/v1/files/{id}": {"get": {"summary": "Download a file", "parameters": [_id_param("id")],
                                       "responses": {"200": {"description": "The bytes"}, "404": _ERR}}},
        "/api/v1/documents/{id}": {"get": {"summary": "Download an issued PDF", "parameters": [_id_param("id")],
                                           "responses": {"200": {"description": "application/pdf"}, "404": _ERR}}},
        "/api/v1/audit/events": {"get": {
            "summary": "Audit entries (auditors)",
            "parameters": [{"name": n, "in": "query", "required": False, "schema": {"type": t}}
                           for n, t in (("instance", "integer"), ("actor", "string"), ("action", "string"),
                                        ("since", "string"), ("until", "string"))],
            "responses": _ok("Events", array("Event"))}},
        "/api/v1/audit/verify": {"get": {"summary": "Recompute the audit chain (auditors)",
                                         "responses": _ok("Result", _ref("Verify"))}},
        "/api/v1/information-requests": {"get": {
            "summary": "The register of written information requests (registry, rector, auditors); overdue first",
            "parameters": [{"name": n, "in": "query", "required": False, "schema": s}
                           for n, s in (("q", {"type": "string"}),
                                        ("status", {"type": "string", "enum": ["open", "overdue", "answered"]}),
                                        ("outcome", {"type": "string",
                                                     "enum": ["provided", "provided_partly", "refused"]}),
                                        ("since", {"type": "string", "format": "date"}),
                                        ("until", {"type": "string", "format": "date"}))],
            "responses": _ok("Register entries", array("RegisterEntry"))}},
        "/api/v1/policy/editions": {"get": {"summary": "Every edition of the policy, oldest first",
                                            "responses": _ok("Editions", array("Edition"))}},
        "/api/v1/policy/editions/{n}": {"get": {
            "summary": "One edition with all its clauses", "parameters": [_id_param("n")],
            "responses": _ok("Edition", _ref("EditionDetail"))}},
        "/api/v1/policy/editions/{n}/clauses/{clause}": {"get": {
            "summary": "One clause as it reads in an edition",
            "parameters": [_id_param("n"), _id_param("clause", "string")],
            "responses": _ok("Clause", _ref("Clause"))}},
        "/api/v1/policy/clauses/{clause}/history": {"get": {
            "summary": "Every edition a clause appeared in, with the amendment that changed it",
            "parameters": [_id_param("clause", "string")], "responses": _ok("History", array("ClauseHistory"))}},
        "/api/v1/policy/proposals/{id}": {"get": {
            "summary": "An amendment proposal: its changes, their word diff against the current edition, conflicts",
            "parameters": [_id_param("id")], "responses": {**_ok("Proposal", {"type": "object"}), "409": _ERR}}},
        "/api/v1/instances/{id}/dispatch": {"post": {
            "summary": "Record how an information request's letter was sent (registry): method email|post|in_person",
            "parameters": [_id_param("id")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["data"], "additionalProperties": False,
                "properties": {"data": {"type": "object"}}}}}},
            "responses": {**_ok("Register entry", _ref("RegisterEntry")), "409": _ERR, "422": _ERR}}},
        "/api/v1/instances/{id}/letter": {"get": {
            "summary": "The answer or refusal letter of an information request: a redirect to the document",
            "parameters": [_id_param("id")],
            "responses": {"303": {"description": "See /api/v1/documents/{id}"}, "401": _ERR, "404": _ERR,
                          "409": _ERR}}},
    }


def _schemas() -> dict[str, Any]:
    s, i, dt = {"type": "string"}, {"type": "integer"}, {"type": ["string", "null"], "format": "date-time"}
    nullable = {"type": ["string", "null"]}
    task = {"type": "object", "properties": {"id": s, "instance_id": i, "process_key": s, "name": s, "title": s,
                                             "role": nullable, "assignee": nullable, "due_at": dt}}
    return {
        "Error": {"type": "object", "properties": {"error": s}},
        "ValidationError": {"type": "object", "properties": {"error": s, "errors": {
            "type": "object", "additionalProperties": s}}},
        "Credentials": {"type": "object", "required": ["username", "password"],
                        "properties": {"username": s, "password": s}},
        "Token": {"type": "object", "properties": {"token": s, "expires_at": dt}},
        "Process": {"type": "object", "properties": {"key": s, "name": s, "version": i}},
        "Task": task,
        "TaskDetail": {"allOf": [task, {"type": "object", "properties": {
            "state": s, "form": {"type": ["object", "null"]}, "ui": {"type": ["object", "null"]},
            "data": {"type": "object"}}}]},
        "Started": {"type": "object", "properties": {"id": i, "status": s, "tasks": {"type": "array", "items": task}}},
        "File": {"type": "object", "properties": {"id": i, "name": s, "size": i, "sha256": s, "content_type": s}},
        "Instance": {"type": "object", "properties": {
            "id": i, "process_key": s, "status": {"enum": ["running", "completed", "cancelled"]},
            "outcome": nullable, "created_at": dt, "started_by": s, "due_at": dt, "title": s,
            "tasks": {"type": "array", "items": task},
            "documents": {"type": "array", "items": {"type": "object", "properties": {"id": i, "kind": s, "title": s}}},
            "files": {"type": "array", "items": _ref("File")}}},
        "Completed": {"type": "object", "properties": {
            "instance": {"type": "object", "properties": {"id": i, "status": s, "outcome": nullable}},
            "tasks": {"type": "array", "items": task}}},
        "Event": {"type": "object", "properties": {
            "seq": i, "at": dt, "actor": nullable, "action": s, "task": nullable, "data": {"type": "object"},
            "comment": nullable}},
        "Verify": {"type": "object", "properties": {"ok": {"type": "boolean"}, "events": i, "head": s}},
        "Edition": {"type": "object", "properties": {
            "number": i, "effective_from": {"type": "string", "format": "date"}, "approved_at": dt,
            "instance_id": {"type": ["integer", "null"]}, "base_number": {"type": ["integer", "null"]},
            "document_id": {"type": ["integer", "null"]}, "addition_document_id": {"type": ["integer", "null"]}}},
        "EditionDetail": {"allOf": [_ref("Edition"), {"type": "object", "properties": {
            "preamble": s, "sections": {"type": "object"},
            "clauses": {"type": "array", "items": _ref("Clause")}}}]},
        "Clause": {"type": "object", "properties": {"number": s, "text": s, "changed": {"type": "boolean"}}},
        "ClauseHistory": {"type": "object", "properties": {
            "edition": i, "effective_from": s, "approved_at": dt, "text": nullable, "change": nullable,
            "instance_id": {"type": ["integer", "null"]}, "proposed_by": nullable}},
        "RegisterEntry": {"type": "object", "properties": {
            "instance_id": i, "reg_number": s, "requester_name": s, "requester_kind": s, "subject": s, "form": s,
            "language": s, "received_at": dt, "due_at": dt, "decision": nullable, "ground": nullable,
            "answered_at": dt, "outcome": nullable, "working_days": i, "overdue": {"type": "boolean"},
            "overdue_seconds": {"type": ["integer", "null"]}, "payment_status": nullable,
            "cost": {"type": ["number", "null"]}, "waiting_for_payment_seconds": {"type": ["integer", "null"]},
            "dispatch_method": nullable, "tracking_number": nullable}},
    }


def document() -> dict[str, Any]:
    """Return the OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kelisim API", "version": "1",
                 "description": "KInEU Information Policy processes (docs/API.md)."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": _schemas()},
        "security": [{"bearer": []}],
        "paths": _paths(),
    }
