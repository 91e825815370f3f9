"""The policy amendment's part of the OpenAPI document: the policy's editions, clauses and proposals."""
from __future__ import annotations

from typing import Any

from web.openapi import ERR, array, id_param, ok, ref


def paths() -> dict[str, Any]:
    return {
        "/api/v1/policy/editions": {"get": {"summary": "Every edition of the policy, oldest first",
                                            "responses": ok("Editions", array("Edition"))}},
        "/api/v1/policy/editions/{n}": {"get": {
            "summary": "One edition with all its clauses", "parameters": [id_param("n")],
            "responses": ok("Edition", ref("EditionDetail"))}},
        "/api/v1/policy/editions/{n}/clauses/{clause}": {"get": {
            "summary": "One clause as it reads in an edition",
            "parameters": [id_param("n"), id_param("clause", "string")],
            "responses": ok("Clause", ref("Clause"))}},
        "/api/v1/policy/clauses/{clause}/history": {"get": {
            "summary": "Every edition a clause appeared in, with the amendment that changed it",
            "parameters": [id_param("clause", "string")], "responses": ok("History", array("ClauseHistory"))}},
        "/api/v1/policy/proposals/{id}": {"get": {
            "summary": "An amendment proposal: its changes, their word diff against the current edition, conflicts",
            "parameters": [id_param("id")], "responses": {**ok("Proposal", {"type": "object"}), "409": ERR}}},
    }


def schemas() -> dict[str, Any]:
    s, i, dt = {"type": "string"}, {"type": "integer"}, {"type": ["string", "null"], "format": "date-time"}
    nullable = {"type": ["string", "null"]}
    return {
        "Edition": {"type": "object", "properties": {
            "number": i, "effective_from": {"type": "string", "format": "date"}, "approved_at": dt,
            "instance_id": {"type": ["integer", "null"]}, "base_number": {"type": ["integer", "null"]},
            "document_id": {"type": ["integer", "null"]}, "addition_document_id": {"type": ["integer", "null"]}}},
        "EditionDetail": {"allOf": [ref("Edition"), {"type": "object", "properties": {
            "preamble": s, "sections": {"type": "object"},
            "clauses": {"type": "array", "items": ref("Clause")}}}]},
        "Clause": {"type": "object", "properties": {"number": s, "text": s, "changed": {"type": "boolean"}}},
        "ClauseHistory": {"type": "object", "properties": {
            "edition": i, "effective_from": s, "approved_at": dt, "text": nullable, "change": nullable,
            "instance_id": {"type": ["integer", "null"]}, "proposed_by": nullable}},
    }
