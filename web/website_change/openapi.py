"""The website change request's part of the OpenAPI document: the register of requests."""
from __future__ import annotations

from typing import Any

from web.openapi import PAGING, array, paged


def paths() -> dict[str, Any]:
    return {
        "/api/v1/website-changes": {"get": {
            "summary": "Website change requests (§9.5, §9.8): MCD and auditors see every unit's, a unit head the "
                       "unit's; open ones first (the soonest wanted first), then the finished ones",
            "parameters": [{"name": "status", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": ["open", "finished"]}},
                           {"name": "section", "in": "query", "required": False, "schema": {"type": "string"},
                            "description": "a §9.4 section code, e.g. university.accreditation"}, *PAGING],
            "responses": paged("Website change requests", array("WebsiteChange"))}},
    }


def schemas() -> dict[str, Any]:
    s, i = {"type": "string"}, {"type": "integer"}
    dt = {"type": ["string", "null"], "format": "date-time"}
    day = {"type": ["string", "null"], "format": "date"}
    by_lang = {"type": "object", "additionalProperties": s, "description": "by language: kk, ru, en"}
    return {
        "WebsiteChange": {"type": "object", "properties": {
            "instance_id": i, "unit": s, "title": s, "section": s,
            "change_kind": {"type": "string", "enum": ["change", "addition", "removal"]},
            "pages": {"type": "array", "items": s}, "texts": by_lang, "wanted_on": day, "area": s,
            "status": {"type": "string", "enum": ["requested", "consented", "declined", "published", "withdrawn",
                                                  "cancelled"]},
            "submitted_at": dt, "consented_by": {"type": ["string", "null"]}, "decided_at": dt,
            "published_texts": by_lang, "missing_reasons": by_lang,
            "published_url": {"type": ["string", "null"]}, "published_on": day}},
    }
