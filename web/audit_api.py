"""JSON API v1, the audit trail's exports (issue 14, part 5): the filtered trail as CSV or as one JSON
array, streamed, for auditors; the same filters as `GET /api/v1/audit/events` (web/audit_filters.py)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from flask_babel import gettext as _

from processes.usecases import queries
from storage import audit_log
from web import audit_filters
from web.audit_views import export
from web.auth import api_auth
from web.unit_of_work import ctx, db

bp = Blueprint("audit_api", __name__, url_prefix="/api/v1")


@bp.get("/audit/events.csv")
@api_auth
def events_csv():
    queries.require_auditor(ctx())
    return export("csv", audit_filters.api_filters())


@bp.get("/audit/events.json")
@api_auth
def events_json():
    queries.require_auditor(ctx())
    return export("json", audit_filters.api_filters())


# -- the provable log (issue 17): checkpoints and proofs (storage/audit_log.py) ----------------------------------

def _checkpoint_settings() -> audit_log.CheckpointSettings:
    settings = ctx().services.settings.checkpoints
    if settings is None:
        abort(404, description=_("The audit log has no checkpoints here."))
    return settings


def _signer() -> audit_log.Signer:
    try:
        return audit_log.signer(_checkpoint_settings())
    except audit_log.CheckpointKeyError as exc:
        abort(503, description=_("The checkpoint key cannot be read: %(reason)s", reason=str(exc)))


def _number(name: str, default: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        if default is None:
            abort(400, description=_("%(name)s is required.", name=name))
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        abort(400, description=_("%(name)s must be a whole number.", name=name))
    return int(raw)


def _latest_size() -> int:
    latest = audit_log.latest(db())
    if latest is None:
        abort(404, description=_("No checkpoint has been made yet."))
    return latest.tree_size


@bp.get("/audit/checkpoint")
def checkpoint():
    """The latest signed checkpoint (public: origin, size and root hash reveal no entry)."""
    _checkpoint_settings()
    latest = audit_log.latest(db())
    if latest is None:
        abort(404, description=_("No checkpoint has been made yet."))
    return Response(latest.note, mimetype="text/plain", headers={"Cache-Control": "no-cache"})


@bp.get("/audit/checkpoint-key")
def checkpoint_key():
    """The checkpoints' verifier key, C2SP note format (public)."""
    return Response(_signer().verifier_key() + "\n", mimetype="text/plain")


@bp.get("/audit/proof/inclusion")
@api_auth
def inclusion_proof():
    queries.require_auditor(ctx())
    seq = _number("seq")
    size = _number("size", default=None if "size" in request.args else _latest_size())
    try:
        proof = audit_log.inclusion(db(), seq, size)
    except audit_log.ProofError as exc:
        abort(400, description=_(exc.msgid, **exc.params))
    return jsonify(proof.as_json())


@bp.get("/audit/proof/consistency")
@api_auth
def consistency_proof():
    queries.require_auditor(ctx())
    old = _number("from")
    new = _number("to", default=None if "to" in request.args else _latest_size())
    try:
        hashes = audit_log.consistency(db(), old, new)
    except audit_log.ProofError as exc:
        abort(400, description=_(exc.msgid, **exc.params))
    return jsonify({"from": old, "to": new, "hashes": [audit_log.b64(h) for h in hashes]})


def openapi_parts() -> tuple[dict[str, Any], dict[str, Any]]:
    from web.openapi import ERR, ID, datetime_param

    params = [{"name": "instance", "in": "query", "required": False, "schema": ID},
              {"name": "actor", "in": "query", "required": False, "schema": {"type": "string"},
               "description": "a username, exactly"},
              {"name": "action", "in": "query", "required": False, "schema": {"type": "string"}},
              {"name": "object", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 100},
               "description": "the beginning of the entry's object, e.g. `user:` or `instance:12`"},
              {"name": "clause", "in": "query", "required": False, "schema": {"type": "string"},
               "description": "a clause of the policy (`§12`, `12.3`): the entries under it and its sub-clauses "
                              "(§12 matches §12, §12.1, §12.3.2, not §120); not a clause number → 400"},
              datetime_param("since", "entries at or after"), datetime_param("until", "entries before")]
    headers = {"Content-Disposition": {"description": "attachment; filename=kelisim-audit-<instance or all>-"
                                                      "<last seq>.<csv|json>", "schema": {"type": "string"}},
               "X-Total-Count": {"description": "the entries in the export", "schema": {"type": "integer"}}}

    def export_path(kind: str, media: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"get": {
            "summary": f"The filtered audit trail as {kind}, in chain order, streamed (auditors)",
            "description": "Covers the entries up to the moment of the request; the export is itself audited "
                           "(`audit_exported` with its format, filters, last seq and count).",
            "parameters": params,
            "responses": {"200": {"description": kind, "headers": headers, "content": {media: {"schema": schema}}},
                          "400": ERR, "401": ERR, "403": ERR}}}

    def number(name: str, description: str, required: bool = True) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": required,
                "schema": {"type": "integer", "minimum": 1}, "description": description}

    b64s = {"type": "string", "format": "byte"}
    provable = {
        "/api/v1/audit/checkpoint": {"get": {
            "summary": "The latest signed checkpoint of the audit log (public)",
            "description": "A C2SP signed note (https://c2sp.org/tlog-checkpoint): the origin line, the tree size "
                           "(entries covered, seq 1 to size) and the base64 RFC 6962 root hash, each ending in a "
                           "newline, a blank line, then `— <key name> <base64(4-byte key hash ‖ Ed25519 "
                           "signature)>`; the signature covers the text up to the blank line. Made at least every "
                           "minute while entries are added. Keep copies outside Kelisim: a later checkpoint must "
                           "be consistent with them (`/proof/consistency`).",
            "security": [],
            "responses": {"200": {"description": "the note", "content": {"text/plain": {"schema": {
                "type": "string"}}}}, "404": ERR}}},
        "/api/v1/audit/checkpoint-key": {"get": {
            "summary": "The checkpoints' Ed25519 verifier key (public)",
            "description": "`<name>+<hex key hash>+<base64(0x01 ‖ public key)>` (C2SP signed-note verifier key); "
                           "the key hash is the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).",
            "security": [],
            "responses": {"200": {"description": "one line", "content": {"text/plain": {"schema": {
                "type": "string"}}}}, "503": ERR}}},
        "/api/v1/audit/proof/inclusion": {"get": {
            "summary": "Inclusion proof of one entry (auditors)",
            "description": "RFC 6962 audit path of leaf seq − 1 in the tree of the first `size` entries; leaf = "
                           "SHA-256(0x00 ‖ the entry's canonical bytes, `leaf` of `GET /api/v1/audit/events`), "
                           "node = SHA-256(0x01 ‖ left ‖ right). Verify with RFC 9162 §2.1.3.2.",
            "parameters": [number("seq", "the entry"),
                           number("size", "the tree size (default: the latest checkpoint's)", False)],
            "responses": {"200": {"description": "the proof", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"seq": {"type": "integer"}, "tree_size": {"type": "integer"},
                                                  "leaf_hash": b64s, "hashes": {"type": "array", "items": b64s}}}}}},
                "400": {**ERR, "description": "not a number, seq beyond the tree, size smaller than seq or beyond "
                                              "the tree"}, "401": ERR, "403": ERR, "404": ERR}}},
        "/api/v1/audit/proof/consistency": {"get": {
            "summary": "Consistency proof between two tree sizes (auditors)",
            "description": "RFC 6962 PROOF(from, D[to]): the tree of `from` entries is a prefix of the tree of `to` "
                           "entries (empty when they are equal). Verify with RFC 9162 §2.1.4.2, or "
                           "`tools/verify_audit.py consistency`.",
            "parameters": [number("from", "the older size"),
                           number("to", "the newer size (default: the latest checkpoint's)", False)],
            "responses": {"200": {"description": "the proof", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"from": {"type": "integer"}, "to": {"type": "integer"},
                                                  "hashes": {"type": "array", "items": b64s}}}}}},
                "400": {**ERR, "description": "not a number, from < 1, from > to, to beyond the tree"},
                "401": ERR, "403": ERR, "404": ERR}}},
    }
    return ({**provable, "/api/v1/audit/events.csv": export_path(
        "CSV", "text/csv", {"type": "string", "description": "one row per entry; a cell a spreadsheet would read "
                                                              "as a formula starts with '"}),
             "/api/v1/audit/events.json": export_path(
        "JSON", "application/json", {"type": "array", "items": {"$ref": "#/components/schemas/ExportedEvent"}})},
            {"ExportedEvent": {"type": "object", "description": "an Event plus every stored field of the entry",
                               "properties": {k: {} for k in (
                                   "seq", "at", "actor", "role", "action", "instance_id", "task", "object",
                                   "data", "comment", "clause", "request_id", "prev_hash", "hash", "acting_for",
                                   "damaged")}}})
