"""The plans' part of the OpenAPI document (§7.1): versions of the PR plan and the website regulation, the one in
force, two versions compared, and MCD's mark that an item happened."""
from __future__ import annotations

from typing import Any

from web.openapi import PAGING, array, id_param, ok, paged, ref

KIND = {"name": "kind", "in": "path", "required": True,
        "schema": {"type": "string", "enum": ["pr_plan", "website_regulation"]}}


def paths() -> dict[str, Any]:
    number = {"name": "number", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}}
    return {
        "/api/v1/plans/{kind}/versions": {"get": {
            "summary": "Every version of the PR plan or the website regulation, newest first (MCD, management, "
                       "auditors)",
            "parameters": [KIND, *PAGING],
            "responses": paged("Versions", array("PlanVersion"))}},
        "/api/v1/plans/{kind}/versions/{number}": {"get": {
            "summary": "One version with its items (and whether each happened) or its text",
            "parameters": [KIND, id_param("number")],
            "responses": ok("The version", ref("PlanVersion"))}},
        "/api/v1/plans/{kind}/current": {"get": {
            "summary": "The version in force (404 before the first approval)",
            "parameters": [KIND],
            "responses": ok("The version in force", ref("PlanVersion"))}},
        "/api/v1/plans/{kind}/compare": {"get": {
            "summary": "Two versions item by item: `to` (default: in force) against `from` (default: the one before)",
            "parameters": [KIND, {**number, "name": "from"}, {**number, "name": "to"}],
            "responses": ok("Added, changed, removed items; a regulation's text word by word",
                            ref("PlanComparison"))}},
        "/api/v1/plans/{kind}/versions/{number}/items/{key}/done": {"post": {
            "summary": "MCD records that an item happened (`done_on`, not in the future; `note`)",
            "parameters": [KIND, id_param("number"), id_param("key", "string")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["done_on"], "properties": {
                    "done_on": {"type": "string", "format": "date"}, "note": {"type": "string"}}}}}},
            "responses": ok("The mark", {"type": "object"}, "201")}},
    }


def schemas() -> dict[str, Any]:
    s, n = {"type": ["string", "null"]}, {"type": ["integer", "null"]}
    item = {"type": "object", "properties": {
        "key": {"type": "string"}, "occasion": {"type": "string"}, "date": s, "month": {"type": "string"},
        "channel": {"type": "string"}, "unit": {"type": "string"}, "event_notice": n, "media_inquiry": n,
        "status": {"type": "string", "enum": ["done", "planned", "missed"]}, "done_on": s, "done_by": s}}
    return {
        "PlanVersion": {"type": "object", "properties": {
            "kind": {"type": "string"}, "number": {"type": "integer"}, "title": {"type": "string"},
            "instance_id": n, "period_start": s, "period_end": s, "drafted_by": s, "approved_by": s,
            "approved_at": {"type": "string", "format": "date-time"}, "in_force": {"type": "boolean"},
            "superseded_at": s, "file_ids": {"type": "array", "items": {"type": "integer"}}, "text": {"type": "string"},
            "items": {"oneOf": [{"type": "integer"}, {"type": "array", "items": item}]}}},
        "PlanComparison": {"type": "object", "properties": {
            "from": n, "to": {"type": "integer"}, "added": {"type": "array", "items": item},
            "changed": {"type": "array", "items": {"type": "object"}}, "removed": {"type": "array", "items": item},
            "unchanged": {"type": "integer"}, "text": {"type": "array", "items": {"type": "array"}},
            "period": {"type": ["object", "null"]}}},
    }
