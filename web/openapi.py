"""The OpenAPI 3.1 document of the JSON API v1 (served at /api/openapi.json)."""
from __future__ import annotations

from typing import Any

from processes.university_time import FIRST_DAY, LAST_DAY

ERR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def ok(description: str, schema: dict[str, Any] | None = None, status: str = "200") -> dict[str, Any]:
    body: dict[str, Any] = {"description": description}
    if schema is not None:
        body["content"] = {"application/json": {"schema": schema}}
    return {status: body, "400": ERR, "401": ERR, "403": ERR, "404": ERR}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


MAX_ID = 2**31 - 1  # web.IdConverter: ids are 1 … 2**31 - 1 (INTEGER columns); others answer 404
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
RANGE = f"between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}, else 400"


def id_param(name: str, kind: str = "integer") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": ID if kind == "integer" else {"type": kind}}


def date_param(name: str, description: str) -> dict[str, Any]:
    """A date query parameter as web.unit_of_work.date_arg reads it: empty = absent, else 400 when
    malformed or out of range."""
    return {"name": name, "in": "query", "required": False, "description": f"{description}; {RANGE}",
            "schema": {"type": "string", "format": "date"}}


def datetime_param(name: str, description: str) -> dict[str, Any]:
    """A date-time query parameter as web.unit_of_work.datetime_arg reads it: with a time zone."""
    return {"name": name, "in": "query", "required": False,
            "description": f"{description}; ISO 8601 with a time zone (Z or ±hh:mm), its date {RANGE}",
            "schema": {"type": "string", "format": "date-time"}}


def array(name: str) -> dict[str, Any]:
    return {"type": "array", "items": ref(name)}


# Every list endpoint pages by a key (docs/API.md "Paging"): `limit` 1…200 (default 50; outside → 400),
# `cursor` from the previous answer's Link header (opaque, signed, of this list only; altered or another
# list's → 400 with the reason); the body stays a JSON array.
PAGING = [
    {"name": "limit", "in": "query", "required": False,
     "description": "page size, 1 … 200 (default 50); any other value is refused with 400",
     "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
    {"name": "cursor", "in": "query", "required": False,
     "description": "the position to continue from, as the previous page's `Link: <…>; rel=\"next\"` gives it; "
                    "opaque and signed: an altered cursor, or one of another list, is refused with 400",
     "schema": {"type": "string"}},
]
SEARCH = {"name": "q", "in": "query", "required": False, "schema": {"type": "string"},
          "description": "text to find: a title, a number, a person's name (the first 200 characters count)"}


def paged(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A list's 200: a JSON array, the next page in `Link` (absent on the last page), the count in
    `X-Total-Count` (up to 10,000; `X-Total-Count-More: true` beyond)."""
    responses = ok(description, schema)
    responses["200"]["headers"] = {
        "Link": {"description": 'RFC 8288: `<url>; rel="next"`, the next page; absent on the last page',
                 "schema": {"type": "string"}},
        "X-Total-Count": {"description": "rows of the whole list with its filters, counted up to 10,000",
                          "schema": {"type": "integer"}},
        "X-Total-Count-More": {"description": "`true` when the list has more than X-Total-Count rows",
                               "schema": {"type": "string"}}}
    return responses


def _paths() -> dict[str, Any]:
    return {
        "/api/v1/tokens": {"post": {
            "summary": "Exchange username and password for a bearer token", "security": [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("Credentials")}}},
            "responses": {"201": {"description": "Token", "content": {"application/json": {"schema": ref("Token")}}},
                          "400": ERR, "401": ERR, "429": ERR}}},
        "/api/v1/processes": {"get": {"summary": "Deployed processes",
                                      "responses": ok("Processes", array("Process"))}},
        "/api/v1/processes/{key}/instances": {"post": {
            "summary": "Start an instance", "parameters": [id_param("key", "string")],
            "responses": ok("Started", ref("Started"), "201")}},
        "/api/v1/instances/{id}": {"get": {"summary": "One instance", "parameters": [id_param("id")],
                                           "responses": ok("Instance", ref("Instance"))}},
        "/api/v1/instances/{id}/withdraw": {"post": {
            "summary": "The submitter withdraws the case before it is decided (outcome `withdrawn`)",
            "parameters": [id_param("id")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["reason"], "additionalProperties": False,
                "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 2000}}}}}},
            "responses": {**ok("Withdrawn: the instance, status `completed`, outcome `withdrawn`", ref("Instance")),
                          "409": ERR, "422": {"description": "No reason given", "content": {"application/json": {
                              "schema": ref("ValidationError")}}}}}},
        "/api/v1/instances/{id}/events": {"get": {"summary": "The instance's audit entries, oldest first",
                                                  "parameters": [id_param("id")],
                                                  "responses": ok("Events", array("Event"))}},
        "/api/v1/instances/{id}/diagram.svg": {"get": {
            "summary": "The path the instance took, on its process version's diagram (SVG, drawn on the server)",
            "description": "Each drawn BPMN element is a <g> with data-element-id; with data-state completed, "
                           "open or not-taken, and data-count (times completed, times a flow was taken) when "
                           "completed. 404 when the version's diagram was not kept.",
            "parameters": [id_param("id")],
            "responses": {"200": {"description": "The diagram", "content": {"image/svg+xml": {
                "schema": {"type": "string"}}}}, "401": ERR, "403": ERR, "404": ERR}}},
        "/api/v1/instances/{id}/case-file": {"get": {
            "summary": "A new case file of the instance, as PDF (auditors)",
            "description": "Each call issues a case file (CF-YYYY-NNNNN, audited as case_file_issued) in the "
                           "language asked for: summary, the diagram with the path taken, the full timeline, every "
                           "document and file version with its SHA-256, the verification of the audit chain up to "
                           "the case's last entry, and a verification code with QR (/verify/<code>). A running "
                           "case's file says until when it is complete. 403 for anyone but auditors.",
            "parameters": [id_param("id"), {"name": "lang", "in": "query", "required": False, "schema": {
                "type": "string", "enum": ["kk", "ru", "en"]}, "description": "default: the caller's language"}],
            "responses": {"200": {"description": "The case file", "content": {"application/pdf": {
                "schema": {"type": "string", "format": "binary"}}}}, "400": ERR, "401": ERR, "403": ERR,
                "404": ERR, "409": ERR}}},
        "/api/v1/instances/{id}/files": {"post": {
            "summary": "Attach a file", "parameters": [id_param("id")],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"]}}}},
            "responses": {**ok("Stored", ref("File"), "201"), "413": ERR, "422": ERR}}},
        "/api/v1/instances/{id}/files/{name}": {"put": {
            "summary": "Attach a file: its bytes as the body, its name in the path (streamed to disk)",
            "description": "The same checks, limits, audit entry and answer as the multipart upload. The name: "
                           "percent-encoded UTF-8, no slash, backslash, control character or leading dot, with an "
                           "extension, else 422. The length: Content-Length, or Transfer-Encoding: chunked; "
                           "neither: 411; over the limit: 413 before reading. The body's Content-Type is not "
                           "used. Optional Content-Digest: sha-256=:<base64>: (RFC 9530) is compared with the "
                           "bytes received (different: 422, malformed: 400). A refusal keeps nothing.",
            "parameters": [id_param("id"), {"name": "name", "in": "path", "required": True,
                                            "schema": {"type": "string", "minLength": 1, "maxLength": 200}},
                           {"name": "Content-Digest", "in": "header", "required": False, "schema": {
                               "type": "string",
                               "examples": ["sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"]}}],
            "requestBody": {"required": True, "content": {"*/*": {"schema": {
                "type": "string", "contentMediaType": "application/octet-stream"}}}},
            "responses": {**ok("Stored", ref("File"), "201"), "411": ERR, "413": ERR, "422": ERR}}},
        "/api/v1/instances/{id}/files/": {"put": {
            "summary": "A raw upload without a name (also PUT …/files): refused, 422 with the reason",
            "parameters": [id_param("id")], "responses": {"401": ERR, "403": ERR, "404": ERR, "422": ERR}}},
        "/api/v1/tasks": {"get": {"summary": "The caller's ready tasks, the most urgent first",
                                  "parameters": [SEARCH, *PAGING], "responses": paged("Tasks", array("Task"))}},
        "/api/v1/instances": {"get": {
            "summary": "The instances the caller may read, newest first",
            "parameters": [{"name": "process", "in": "query", "required": False, "schema": {"type": "string"}},
                           {"name": "status", "in": "query", "required": False,
                            "schema": {"enum": ["running", "completed", "cancelled"]}},
                           {"name": "outcome", "in": "query", "required": False, "schema": {"type": "string"}},
                           SEARCH, *PAGING],
            "responses": paged("Instances", array("InstanceSummary"))}},
        "/api/v1/tasks/{id}": {"get": {"summary": "A task with its form (JSON Schema) and prefill",
                                       "parameters": [id_param("id", "string")],
                                       "responses": ok("Task", ref("TaskDetail"))}},
        "/api/v1/tasks/{id}/complete": {"post": {
            "summary": "Complete a task", "parameters": [id_param("id", "string")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["data"], "additionalProperties": False,
                "properties": {"data": {"type": "object"}}}}}},
            "responses": {**ok("Completed", ref("Completed")), "409": ERR,
                          "422": {"description": "Invalid data", "content": {"application/json": {
                              "schema": ref("ValidationError")}}}}}},
        **_flow_paths(),
        "/api/v1/files/{id}": {"get": {"summary": "Download a file (anyone who may read its instance)",
                                       "parameters": [id_param("id")],
                                       "responses": {"200": {"description": "The bytes"}, "401": ERR,
                                                     "404": ERR}}},
        "/api/v1/documents/{id}": {"get": {
            "summary": "Download an issued PDF",
            "description": "A document is issued with the decision and its PDF rendered in the background a "
                           "moment later: while its status is pending the download answers 409 with "
                           "Retry-After (seconds) and the reason; ask again then.",
            "parameters": [id_param("id")],
            "responses": {"200": {"description": "application/pdf"}, "401": ERR, "404": ERR,
                          "409": {"description": "The PDF is still being prepared (status pending)",
                                  "headers": {"Retry-After": {"description": "seconds to wait before asking again",
                                                              "schema": {"type": "integer", "minimum": 1}}},
                                  "content": {"application/json": {"schema": ref("Pending")}}}}}},
        "/api/v1/audit/events": {"get": {
            "summary": "Audit entries (auditors)",
            "parameters": [{"name": "instance", "in": "query", "required": False, "schema": ID},
                           *({"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                             for n in ("actor", "action")),
                           {"name": "object", "in": "query", "required": False, "schema": {"type": "string"},
                            "description": "the beginning of the entry's object, e.g. `user:` or `instance:12`"},
                           {"name": "clause", "in": "query", "required": False, "schema": {"type": "string"},
                            "description": "a clause of the policy (`§12`, `12.3`): its entries and its "
                                           "sub-clauses' (§12: §12, §12.1, §12.3.2, not §120); else 400"},
                           datetime_param("since", "entries at or after"),
                           datetime_param("until", "entries before"), *PAGING],
            "responses": paged("Events, in chain order, each with `role` and `instance_id` too",
                               array("Event"))}},
        "/api/v1/audit/verify": {"get": {"summary": "Recompute the audit chain (auditors)",
                                         "responses": ok("Result", ref("Verify"))}},
    }


def _flow_paths() -> dict[str, Any]:
    """The flow of work (docs/API.md "The flow of work"): 200 with the task (the instance for cancel)."""
    def body(**props: dict[str, Any]) -> dict[str, Any]:
        return {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "properties": props}}}}

    text = {"type": "string", "maxLength": 2000}
    refused = {"409": ERR, "422": {"description": "Invalid values, by field", "content": {"application/json": {
        "schema": ref("ValidationError")}}}}

    def task_action(summary: str, **props: dict[str, Any]) -> dict[str, Any]:
        return {"post": {"summary": summary, "parameters": [id_param("id", "string")], "requestBody": body(**props),
                         "responses": {**ok("The task", ref("Task")), **refused}}}

    return {
        "/api/v1/tasks/{id}/claim": task_action("Claim a task of one of your roles' queues"),
        "/api/v1/tasks/{id}/release": task_action("Put a task you claimed back in its queue"),
        "/api/v1/tasks/{id}/reassign": task_action(
            "Give an open task to another holder of its role (administrator, or the head of the unit owning the queue)",
            to={"type": "string", "description": "username"}, reason=text),
        "/api/v1/tasks/{id}/delegate": task_action("Ask a colleague to prepare the task (its holder)",
                                                   to={"type": "string", "description": "username"}, comment=text),
        "/api/v1/tasks/{id}/return": task_action("Return a task you were asked to prepare, with the draft",
                                                 comment=text, data={"type": "object"}),
        "/api/v1/tasks/{id}/recall": task_action("Take back a task a colleague is preparing (its holder)",
                                                 comment=text),
        "/api/v1/instances/{id}/cancel": {"post": {
            "summary": "Cancel a running case (administrators): status and outcome `cancelled`",
            "parameters": [id_param("id")], "requestBody": body(reason=text),
            "responses": {**ok("The instance", ref("Instance")), **refused}}},
    }


# A deadline: the instant it passes, and the day it ends with (docs/API.md "Dates and deadlines").
DUE_AT = {"type": ["string", "null"], "format": "date-time",
          "description": "the instant the deadline passes; a deadline of a day is the end of that day, i.e. the "
                         "next midnight in Asia/Almaty (a deadline of 14 Dec 2026 is 2026-12-14T19:00:00+00:00)"}
DUE_DAY = {"type": ["string", "null"], "format": "date",
           "description": "the last day of the deadline (its Asia/Almaty date; for a deadline of a day, the day "
                          "before due_at's local midnight): show \"by <due_day>, end of day\" when due_at is a "
                          "local midnight, else the date-time of due_at"}


def _schemas() -> dict[str, Any]:
    s, i, dt = {"type": "string"}, {"type": "integer"}, {"type": ["string", "null"], "format": "date-time"}
    nullable = {"type": ["string", "null"]}
    task = {"type": "object", "properties": {"id": s, "instance_id": i, "process_key": s, "name": s, "title": s,
                                             "role": nullable, "assignee": nullable, "due_at": DUE_AT,
                                             "due_day": DUE_DAY,
                                             "claimed_at": {"type": ["string", "null"], "format": "date-time"},
                                             "delegated_to": {**nullable, "description": "username"},
                                             "acting_for": {**nullable, "description": "username of the absent "
                                                            "person whose task a substitute (or the queue) holds"}}}
    return {
        "Error": {"type": "object", "properties": {"error": s}},
        "Pending": {"type": "object", "required": ["error", "status", "retry_after"], "properties": {
            "error": {**s, "description": "why, in the request's language"}, "status": {"enum": ["pending"]},
            "document_id": i, "retry_after": {**i, "description": "seconds, as the Retry-After header"}}},
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
        "File": {"type": "object", "properties": {
            "id": i, "name": s, "size": i, "sha256": s, "content_type": s,
            "version": {**i, "description": "files of an instance with the same name are versions of one document"},
            "uploaded_by": {**s, "description": "username"}, "uploaded_at": dt}},
        "InstanceSummary": {"type": "object", "properties": {
            "id": i, "process_key": s, "status": {"enum": ["running", "completed", "cancelled"]},
            "outcome": nullable, "created_at": dt, "started_by": s, "due_at": DUE_AT, "due_day": DUE_DAY, "title": s,
            "version": i}},
        "Instance": {"type": "object", "properties": {
            "id": i, "process_key": s, "status": {"enum": ["running", "completed", "cancelled"]},
            "outcome": nullable, "created_at": dt, "started_by": s, "due_at": DUE_AT, "due_day": DUE_DAY, "title": s,
            "version": i,
            "tasks": {"type": "array", "items": task},
            "documents": {"type": "array", "items": {"type": "object", "properties": {
                "id": i, "kind": s, "title": s, "reg_number": s, "verification_code": s,
                "sha256": {**nullable, "description": "null until the PDF is rendered"},
                "status": {"enum": ["pending", "ready"],
                           "description": "pending: the PDF is being rendered in the background (a download "
                                          "answers 409 with Retry-After); ready: it downloads"}}}},
            "files": {"type": "array", "items": ref("File")}}},
        "Completed": {"type": "object", "properties": {
            "instance": {"type": "object", "properties": {"id": i, "status": s, "outcome": nullable}},
            "tasks": {"type": "array", "items": task}}},
        "Event": {"type": "object", "properties": {
            "seq": i, "at": dt, "actor": nullable, "action": s, "task": nullable, "object": nullable,
            "data": {"type": "object"}, "comment": nullable, "clause": nullable, "hash": s,
            "leaf": {"type": "string", "format": "byte",
                     "description": "the entry's canonical bytes, base64 (the whole trail only): its Merkle leaf "
                                    "is SHA-256(0x00 ‖ these bytes), see /api/v1/audit/proof/inclusion"},
            "acting_for": {**nullable, "description": "username of the absent person a substitute acted for"},
            "damaged": {"type": "boolean", "description": "true: an entry that could not be read; it then "
                                                         "carries only seq, damaged_fields and raw"},
            "damaged_fields": {"type": "array", "items": s}, "raw": s}},
        "Verify": {"type": "object", "properties": {
            "ok": {"type": "boolean"}, "events": i, "head": s,
            "first_bad_seq": {"type": "integer", "description": "only when ok is false"},
            "reason": {"type": "string", "description": "only when ok is false"}}},
    }


def document() -> dict[str, Any]:
    """Return the OpenAPI document: the generic API, and what each process's own pages add."""
    from web import process_pages

    extra_paths, extra_schemas = process_pages.openapi_parts()
    from web import admin_api

    admin_paths, admin_schemas = admin_api.openapi_parts()
    extra_paths, extra_schemas = {**extra_paths, **admin_paths}, {**extra_schemas, **admin_schemas}
    from web import absence_api

    absence_paths, absence_schemas = absence_api.openapi_parts()
    extra_paths, extra_schemas = {**extra_paths, **absence_paths}, {**extra_schemas, **absence_schemas}
    from web import unit_api

    unit_paths, unit_schemas = unit_api.openapi_parts()
    extra_paths, extra_schemas = {**extra_paths, **unit_paths}, {**extra_schemas, **unit_schemas}
    from web import routing_api

    routing_paths, routing_schemas = routing_api.openapi_parts()
    extra_paths, extra_schemas = {**extra_paths, **routing_paths}, {**extra_schemas, **routing_schemas}
    from web import audit_api, definitions_views

    for paths, schemas in (audit_api.openapi_parts(), definitions_views.openapi_parts()):
        extra_paths, extra_schemas = {**extra_paths, **paths}, {**extra_schemas, **schemas}
    from web import dashboard_views, media_contacts_views

    for paths, schemas in (dashboard_views.openapi_parts(), media_contacts_views.openapi_parts()):
        extra_paths, extra_schemas = {**extra_paths, **paths}, {**extra_schemas, **schemas}
    from web import signing_views  # issue 17: signed PDFs

    paths, schemas = signing_views.openapi_parts()
    extra_paths, extra_schemas = {**extra_paths, **paths}, {**extra_schemas, **schemas}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kelisim API", "version": "1",
                 "description": "KInEU Information Policy processes (docs/API.md)."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": {**_schemas(), **extra_schemas}},
        "security": [{"bearer": []}],
        "paths": {**_paths(), **extra_paths},
    }
