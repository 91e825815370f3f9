"""The brand guideline library's part of the OpenAPI document (§6.2–6.4): editions, the one in force, uploads and
audited file downloads. Readers: MCD, the rector and vice-rectors, auditors; uploads: MCD; anyone else: 403."""
from __future__ import annotations

from typing import Any

from web.openapi import ERR, PAGING, array, id_param, ok, paged, ref

READERS = "MCD, the rector and vice-rectors, auditors (§6.4); anyone else gets 403"


def paths() -> dict[str, Any]:
    binary = {"type": "string", "format": "binary"}
    return {
        "/api/v1/brand-book/editions": {
            "get": {"summary": f"Editions of the brand guideline, the latest effective date first ({READERS})",
                    "parameters": PAGING, "responses": paged("Editions", array("BrandBookEdition"))},
            "post": {"summary": "Upload a new edition (MCD, §6.2–6.4); an edition never changes",
                     "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                         "type": "object", "required": ["version", "effective_on", "file"], "properties": {
                             "version": {"type": "string", "maxLength": 40, "description": "unique label"},
                             "effective_on": {"type": "string", "format": "date",
                                              "description": "YYYY-MM-DD; the edition in force is the latest "
                                                             "whose date has come (Almaty)"},
                             "note": {"type": "string", "maxLength": 5000},
                             "file": {"type": "array", "items": binary, "maxItems": 20,
                                      "description": "one or more files: PDF, PNG, JPEG, DOCX, PPTX; the bytes "
                                                     "must be what the extension says"}}}}}},
                     "responses": {**ok("Uploaded", ref("BrandBookEdition"), "201"),
                                   "409": ERR, "413": ERR, "422": ERR}}},
        "/api/v1/brand-book/editions/{id}": {"get": {
            "summary": f"One edition ({READERS})", "parameters": [id_param("id")],
            "responses": ok("The edition", ref("BrandBookEdition"))}},
        "/api/v1/brand-book/in-force": {"get": {
            "summary": f"The edition in force today; 404 when none has taken effect yet ({READERS})",
            "responses": ok("The edition in force", ref("BrandBookEdition"))}},
        "/api/v1/brand-book/files/{id}": {"get": {
            "summary": f"Download a file of an edition, as an attachment, never cached; every opening is audited "
                       f"(`brand_file_opened`, §6.4) ({READERS})",
            "parameters": [id_param("id")],
            "responses": {"200": {"description": "The bytes"}, "401": ERR, "403": ERR, "404": ERR}}},
    }


def schemas() -> dict[str, Any]:
    s, i = {"type": "string"}, {"type": "integer"}
    return {
        "BrandBookFile": {"type": "object", "properties": {
            "id": i, "name": s, "size": i, "sha256": s, "content_type": s,
            "url": {"type": "string", "description": "its download (audited)"}}},
        "BrandBookEdition": {"type": "object", "properties": {
            "id": i, "version": s, "effective_on": {"type": "string", "format": "date"}, "note": s,
            "in_force": {"type": "boolean", "description": "the latest edition whose effective date has come"},
            "uploaded_by": s, "uploaded_at": {"type": "string", "format": "date-time"},
            "files": {"type": "array", "items": ref("BrandBookFile")}}},
    }
