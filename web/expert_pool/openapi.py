"""The expert pool's part of the OpenAPI document: the current pool and its editions (anyone logged in)."""
from __future__ import annotations

from typing import Any

from web.openapi import PAGING, SEARCH, array, id_param, ok, paged, ref


def paths() -> dict[str, Any]:
    return {
        "/api/v1/expert-pool": {"get": {
            "summary": "The current edition's experts (anyone logged in); `q` searches their topics",
            "parameters": [SEARCH, *PAGING],
            "responses": paged("Experts of the current edition", array("Expert"))}},
        "/api/v1/expert-pool/editions": {"get": {
            "summary": "Every edition of the expert pool, newest first: who approved it, when, what it changed",
            "parameters": PAGING,
            "responses": paged("Editions", array("PoolEdition"))}},
        "/api/v1/expert-pool/editions/{number}": {"get": {
            "summary": "One edition of the pool with its whole list of experts",
            "parameters": [id_param("number")],
            "responses": ok("The edition and its experts", ref("PoolEdition"))}},
    }


def schemas() -> dict[str, Any]:
    s, strings = {"type": "string"}, {"type": "array", "items": {"type": "string"}}
    names = {"type": "object", "properties": {"kk": s, "ru": s, "en": s}}
    return {
        "Expert": {"type": "object", "properties": {
            "user": s, "full_name": s, "full_names": names, "position": names, "unit": {"type": ["string", "null"]},
            "topics": strings, "languages": strings, "formats": strings,
            "term_until": {"type": "string", "format": "date"}, "valid": {"type": ["boolean", "null"]}}},
        "PoolEdition": {"type": "object", "properties": {
            "number": {"type": "integer"}, "approved_at": {"type": "string", "format": "date-time"},
            "approved_by": {"type": ["string", "null"]}, "instance_id": {"type": ["integer", "null"]},
            "changes": {"type": "array", "items": {"type": "object"}}, "members": {"type": "integer"},
            "experts": {"type": "array", "items": ref("Expert")}}},
    }
