"""The information request's part of the OpenAPI document: the register and the letter's dispatch."""
from __future__ import annotations

from typing import Any

from processes.information_request.kind import OUTCOME_OF
from processes.information_request.request_register import STATUSES
from web.openapi import DUE_AT, DUE_DAY, ERR, PAGING, array, date_param, id_param, ok, paged, ref


def paths() -> dict[str, Any]:
    return {
        "/api/v1/information-requests": {"get": {
            "summary": "The register of written information requests (registry, rector, auditors); overdue first",
            "parameters": [*({"name": n, "in": "query", "required": False, "schema": s}
                             for n, s in (("q", {"type": "string", "description": "the first 200 characters count"}),
                                          ("status", {"type": "string", "enum": list(STATUSES)}),
                                          ("outcome", {"type": "string", "enum": list(OUTCOME_OF.values())}))),
                           date_param("since", "received on or after this Almaty date"),
                           date_param("until", "received on or before this Almaty date"), *PAGING],
            "responses": paged("Register entries", array("RegisterEntry"))}},
        "/api/v1/instances/{id}/dispatch": {"post": {
            "summary": "Record how an information request's letter was sent (registry): method email|post|in_person",
            "parameters": [id_param("id")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["data"], "additionalProperties": False,
                "properties": {"data": {"type": "object"}}}}}},
            "responses": {**ok("Register entry", ref("RegisterEntry")), "409": ERR, "422": ERR}}},
        "/api/v1/instances/{id}/letter": {"get": {
            "summary": "The answer or refusal letter of an information request: a redirect to the document",
            "parameters": [id_param("id")],
            "responses": {"303": {"description": "See /api/v1/documents/{id}"}, "401": ERR, "404": ERR,
                          "409": ERR}}},
    }


def schemas() -> dict[str, Any]:
    s, i, dt = {"type": "string"}, {"type": "integer"}, {"type": ["string", "null"], "format": "date-time"}
    nullable = {"type": ["string", "null"]}
    return {
        "RegisterEntry": {"type": "object", "properties": {
            "instance_id": i, "reg_number": s, "requester_name": s, "requester_kind": s, "subject": s, "form": s,
            "language": s, "received_at": dt, "due_at": DUE_AT, "due_day": DUE_DAY, "decision": nullable,
            "ground": nullable,
            "answered_at": dt, "outcome": nullable, "working_days": i, "overdue": {"type": "boolean"},
            "overdue_seconds": {"type": ["integer", "null"]}, "payment_status": nullable,
            "cost": {"type": ["number", "null"]}, "waiting_for_payment_seconds": {"type": ["integer", "null"]},
            "dispatch_method": nullable, "tracking_number": nullable, "dispatched_at": dt}},
    }
