"""The violation report's part of the OpenAPI document: the register of violation reports and its counts."""
from __future__ import annotations

from typing import Any

from processes.violation_report.register import OUTCOMES, STATUSES
from web.openapi import PAGING, array, date_param, ok, paged, ref


def _filters() -> list[dict[str, Any]]:
    return [*({"name": n, "in": "query", "required": False, "schema": s}
              for n, s in (("clause", {"type": "string", "description": "a clause of the policy, e.g. 13.1"}),
                           ("status", {"type": "string", "enum": list(STATUSES)}),
                           ("outcome", {"type": "string", "enum": list(OUTCOMES)}))),
            date_param("since", "reported on or after this Almaty date"),
            date_param("until", "reported on or before this Almaty date")]


def paths() -> dict[str, Any]:
    return {
        "/api/v1/violation-reports": {"get": {
            "summary": "The register of violation reports (the head of MCD, auditors); open reports first, the latest "
                       "first; no reporter (§13.1)",
            "parameters": [*_filters(), *PAGING],
            "responses": paged("Violation register entries", array("ViolationReportEntry"))}},
        "/api/v1/violation-reports/counts": {"get": {
            "summary": "How many violation reports by clause and by month of reporting (Almaty), under the filters",
            "parameters": _filters(),
            "responses": ok("The counts", ref("ViolationReportCounts"))}},
    }


def schemas() -> dict[str, Any]:
    s, i = {"type": "string"}, {"type": "integer"}
    dt = {"type": ["string", "null"], "format": "date-time"}
    nullable = {"type": ["string", "null"]}
    def counted(key: str) -> dict[str, Any]:
        return {"type": "object", "properties": {key: s, "count": i}}

    return {
        "ViolationReportEntry": {"type": "object", "properties": {
            "instance_id": i, "reg_number": s, "clause": s, "happened_on": {"type": "string", "format": "date"},
            "reported_at": dt, "published_where": nullable,
            "assessment": {"type": ["string", "null"], "enum": ["no_breach", "breach", None]},
            "measures": {"type": "array", "items": {"type": "string",
                                                    "enum": ["removal", "correction", "notice", "other"]}},
            "referred": {"type": "boolean"}, "rector_decision": nullable, "outcome": nullable, "closed_at": dt,
            "units": {"type": "array", "items": {"type": "object", "properties": {
                "unit": s, "due_at": dt, "status": nullable}}}}},
        "ViolationReportCounts": {"type": "object", "properties": {
            "total": i,
            "by_clause": {"type": "array", "items": counted("clause")},
            "by_month": {"type": "array", "items": counted("month")}}},
    }
