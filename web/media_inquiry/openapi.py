"""The media inquiry's part of the OpenAPI document: the register of media inquiries."""
from __future__ import annotations

from typing import Any

from processes.media_inquiry.register import OUTCOMES, STATUSES
from web.openapi import PAGING, array, date_param, paged


def paths() -> dict[str, Any]:
    return {
        "/api/v1/media-inquiries": {"get": {
            "summary": "The register of media inquiries (MCD, rector, auditors); open inquiries first, the latest "
                       "registered first; each with its units, their urgency and answer times",
            "parameters": [*({"name": n, "in": "query", "required": False, "schema": s}
                             for n, s in (("q", {"type": "string", "description": "number, outlet, journalist, "
                                                 "subject, questions or source; the first 200 characters count"}),
                                          ("status", {"type": "string", "enum": list(STATUSES),
                                                      "description": "overdue: a unit answered late or is past "
                                                                     "its deadline now"}),
                                          ("outcome", {"type": "string", "enum": list(OUTCOMES)}))),
                           date_param("since", "registered on or after this Almaty date"),
                           date_param("until", "registered on or before this Almaty date"), *PAGING],
            "responses": paged("Media register entries", array("MediaInquiryEntry"))}},
    }


def schemas() -> dict[str, Any]:
    s, i = {"type": "string"}, {"type": "integer"}
    dt = {"type": ["string", "null"], "format": "date-time"}
    nullable = {"type": ["string", "null"]}
    unit = {"type": "object", "properties": {
        "unit": s, "urgency": {"type": "string", "enum": ["urgent", "deep", "current"]},
        "status": {"type": "string", "enum": ["open", "answered", "not_competent", "closed"]},
        "sent_at": dt, "due_at": dt, "term": dt, "answered_at": dt,
        "late_seconds": {"type": ["integer", "null"],
                         "description": "answered late by, or (still open) overdue by now; null: on time"},
        "overdue": {"type": "boolean", "description": "still open and past its deadline"}, "escalated_at": dt}}
    return {
        "MediaInquiryEntry": {"type": "object", "properties": {
            "instance_id": i, "reg_number": s, "outlet": s, "journalist": s, "subject": s, "received_via": nullable,
            "registered_at": dt, "outlet_deadline": dt, "source": nullable, "source_name": nullable,
            "related_to": {"type": ["integer", "null"]}, "source_overridden": {"type": "boolean"},
            "sent_at": dt, "clearance": nullable, "cleared_at": dt, "answer_sha256": nullable,
            "released_at": dt, "release_method": nullable, "released_to": nullable, "outcome": nullable,
            "late": {"type": "boolean", "description": "a unit answered late or is overdue now"},
            "units": {"type": "array", "items": unit}}},
    }
