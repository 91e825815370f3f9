"""The event pre-notification's part of the OpenAPI document: the notices a caller sees, by month."""
from __future__ import annotations

from typing import Any

from web.openapi import PAGING, array, paged


def paths() -> dict[str, Any]:
    return {
        "/api/v1/event-notices": {"get": {
            "summary": "Event notices (§7.4, §7.6): MCD and auditors see the accepted events, a unit's head and "
                       "members their unit's notices; by the time they start",
            "parameters": [{"name": "month", "in": "query", "required": False,
                            "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                            "description": "one Almaty month, YYYY-MM; absent: every month"}, *PAGING],
            "responses": paged("Event notices", array("EventNotice"))}},
    }


def schemas() -> dict[str, Any]:
    s, i = {"type": "string"}, {"type": "integer"}
    dt = {"type": ["string", "null"], "format": "date-time"}
    strings = {"type": "array", "items": s}
    return {
        "EventNotice": {"type": "object", "properties": {
            "instance_id": i, "unit": s, "title": s, "event_kind": s, "starts_at": dt, "ends_at": dt, "place": s,
            "organiser": s, "audiences": strings, "requests": strings, "site_languages": strings,
            "late": {"type": "boolean", "description": "fewer days ahead than the late rule (§7.4)"},
            "status": {"type": "string", "enum": ["late", "submitted", "details", "accepted", "declined",
                                                  "not_accepted", "covered", "withdrawn", "cancelled"]},
            "submitted_at": dt, "covered_by": {"type": ["string", "null"]}, "channels": strings,
            "publish_by": dt, "decided_at": dt, "recorded_at": dt,
            "publications": {"type": "array", "items": {"type": "object", "properties": {
                "link": s, "published_on": {"type": "string", "format": "date"}}}}}},
    }
